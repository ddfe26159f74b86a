// What the offline code-server needs wherever it is started: by `npm start` (scripts/start.js)
// and by the test launcher (test/vscode/run.mjs).

/** User settings of a throwaway profile: no welcome page over the editor area, nothing that phones home or nags. */
const CODE_SERVER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'security.workspace.trust.enabled': false,
  // The start workspace sits inside this repository: no "open the parent repository?" prompt.
  'git.openRepositoryInParentFolders': 'never',
};

/**
 * Code-server reads these from the environment; they would break or redirect a private
 * instance (VSCODE_IPC_HOOK_CLI, set in a VS Code terminal, makes it open the folder in the
 * *parent* editor; PORT overrides --bind-addr).
 */
const CODE_SERVER_ENV_TO_DROP = [
  'VSCODE_IPC_HOOK_CLI',
  'VSCODE_PROXY_URI',
  'CODE_SERVER_CONFIG',
  'CODE_SERVER_HOST',
  'CODE_SERVER_PARENT_PID',
  'CODE_SERVER_SESSION_SOCKET',
  'PORT',
  'PASSWORD',
  'HASHED_PASSWORD',
  'GITHUB_TOKEN',
];

/**
 * code-server's command line for a private instance on 127.0.0.1 (after the entry script).
 * `--auth none`: only this machine's loopback reaches it (see the README's warning for shared hosts).
 */
function codeServerArgs({ host, port, configFile, userDataDir, extensionsDir }) {
  return [
    '--bind-addr', `${host}:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--config', configFile,
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
  ];
}

module.exports = { CODE_SERVER_SETTINGS, CODE_SERVER_ENV_TO_DROP, codeServerArgs };
