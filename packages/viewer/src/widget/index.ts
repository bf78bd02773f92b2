// The widget bundle's entry: registers <nca-viewer> (once, even if the module loads twice).
import { NcaViewerElement } from './element.ts';

export { NcaViewerElement };
export type { NcaErrorDetail, NcaLoadDetail, NcaViewerAttributes, NcaViewerEventMap } from './element.ts';

if (typeof customElements !== 'undefined' && customElements.get('nca-viewer') === undefined) {
  customElements.define('nca-viewer', NcaViewerElement);
}
