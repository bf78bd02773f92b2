import { version } from '../package.json';

/** The tool_version a model trained on the page records. */
export const VIEWER_VERSION = `nca-studio viewer ${version}`;
