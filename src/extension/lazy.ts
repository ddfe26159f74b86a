/**
 * Everything the extension loads only when a command or the saved-connections view first needs
 * it. esbuild builds this as its own bundle (dist/extension-lazy.js), so activation parses only
 * the small entry (dist/extension.js) in every window.
 */
export { Host } from './host';
export { runCommand } from './commands';
export { ConnectionsTree } from './connectionsTree';
