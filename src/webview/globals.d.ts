// Ambient declarations for the webview bundle.

/** esbuild loads CSS as text (loader '.css': 'text'); it is injected into a <style nonce>. */
declare module '*.css' {
  const text: string;
  export default text;
}

/** Provided by VS Code inside a webview; callable once. */
declare function acquireVsCodeApi(): {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
};
