/**
 * The inspector webview's HTML: a strict CSP with a per-load nonce, the bundled module
 * script and the codicon stylesheet. No `vscode` import (the panel passes the URIs).
 */
import { randomBytes } from 'node:crypto';

export interface PanelHtmlInput {
  /** webview.cspSource */
  cspSource: string;
  /** webview.asWebviewUri(dist/webview/main.js) */
  scriptUri: string;
  /** webview.asWebviewUri(dist/webview/codicon.css) */
  codiconUri: string;
  nonce?: string;
}

export function createNonce(): string {
  return randomBytes(18).toString('base64');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
  ].join('; ');
}

const escapeAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function panelHtml(input: PanelHtmlInput): string {
  const nonce = input.nonce ?? createNonce();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(contentSecurityPolicy(input.cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttr(input.codiconUri)}" id="vscode-codicon-stylesheet" nonce="${nonce}">
<title>Realtime Inspector</title>
</head>
<body>
<script type="module" nonce="${nonce}" src="${escapeAttr(input.scriptUri)}"></script>
</body>
</html>`;
}
