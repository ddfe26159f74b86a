/**
 * Every command the extension contributes, with its palette title (category "Realtime
 * Inspector"). package.json's contributes.commands must list exactly these (a unit test checks).
 * No imports: extension.ts loads this at activation.
 */
export const COMMANDS = {
  newConnection: 'New Connection…',
  openInspector: 'Open Inspector',
  connectToDemo: 'Connect to Demo Server…',
  startDemoServer: 'Start Demo Server',
  stopDemoServer: 'Stop Demo Server',
  exportSession: 'Export Session…',
  importSession: 'Import Session…',
  disconnect: 'Disconnect…',
  disconnectAll: 'Disconnect All',
  clearLog: 'Clear Log…',
  copyAsCurl: 'Copy as cURL (secrets redacted)',
  copyUrl: 'Copy URL (secrets redacted)',
  sendMessage: 'Send Message…',
  ping: 'Send Ping',
  saveConnection: 'Save Current Connection…',
  connectSaved: 'Connect to Saved Connection…',
  deleteSavedConnection: 'Delete Saved Connection…',
  refreshConnections: 'Refresh Saved Connections',
  forgetSecrets: 'Forget Stored Tokens…',
  toggleRevealSecrets: 'Show or Hide Secrets in the Inspector…',
  showLog: 'Show Log',
  runAuthMatrix: 'Run Auth Matrix…',
  compareTransports: 'Compare Transports…',
} as const;

export type CommandName = keyof typeof COMMANDS;

export const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

export function commandId(name: CommandName): string {
  return `realtimeInspector.${name}`;
}
