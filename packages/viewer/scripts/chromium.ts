// Headless Chromium as the browser tests and the viewer benchmark launch it: Debian's package
// (never a download), WebGL2 through SwiftShader, and no background traffic on a closed network.
export const CHROMIUM = process.env['NCA_CHROMIUM'] ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
