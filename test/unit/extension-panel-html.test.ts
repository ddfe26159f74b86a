import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentSecurityPolicy, createNonce, panelHtml } from '../../src/extension/panelHtml';

describe('inspector panel HTML', () => {
  const input = { cspSource: 'https://file+.vscode-resource.vscode-cdn.net', scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/main.js', codiconUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/codicon.css' };

  it('has a strict CSP with the nonce on the script and the stylesheet', () => {
    const html = panelHtml({ ...input, nonce: 'N0nce' });
    const csp = contentSecurityPolicy(input.cspSource, 'N0nce');
    assert.equal(csp, `default-src 'none'; script-src 'nonce-N0nce'; style-src ${input.cspSource} 'nonce-N0nce'; font-src ${input.cspSource}; img-src ${input.cspSource} data:`);
    assert.ok(html.includes(`content="${csp.replace(/'/g, "'")}"`));
    assert.match(html, /<script type="module" nonce="N0nce" src="https:\/\/file\+\.vscode-resource\.vscode-cdn\.net\/ext\/dist\/webview\/main\.js"><\/script>/);
    assert.match(html, /<link rel="stylesheet" href="[^"]+codicon\.css" id="vscode-codicon-stylesheet" nonce="N0nce">/);
    assert.ok(!/unsafe-inline|unsafe-eval/.test(html));
    assert.equal((html.match(/<script/g) ?? []).length, 1, 'no inline script');
  });

  it('makes a fresh random nonce per load', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) seen.add(createNonce());
    assert.equal(seen.size, 50);
    for (const n of seen) assert.match(n, /^[A-Za-z0-9+/]{24}$/);
    const a = panelHtml(input);
    const b = panelHtml(input);
    assert.notEqual(a, b);
  });
});
