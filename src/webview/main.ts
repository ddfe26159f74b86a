/**
 * Entry of the inspector webview (bundled to dist/webview/main.js, browser ESM).
 *
 * The host page must provide: CSP `default-src 'none'; script-src 'nonce-N';
 * style-src <cspSource> 'nonce-N'; font-src <cspSource>`, and
 * `<script type="module" nonce="N" src=".../dist/webview/main.js">` with localResourceRoots
 * covering dist/webview. It may also link codicon.css itself with
 * id="vscode-codicon-stylesheet"; otherwise it is linked here from next to this bundle.
 */
import { startApp } from './app';
import css from './styles.css';

// document.currentScript is null for module scripts: find the nonce on the tag instead.
const nonce = document.querySelector<HTMLScriptElement>('script[nonce]')?.nonce ?? '';

const style = document.createElement('style');
style.setAttribute('nonce', nonce);
style.textContent = css;
document.head.appendChild(style);

// vscode-elements' icons look for this id to load the codicon font inside their shadow roots.
if (!document.getElementById('vscode-codicon-stylesheet')) {
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.id = 'vscode-codicon-stylesheet';
  link.href = new URL('codicon.css', import.meta.url).href;
  link.setAttribute('nonce', nonce);
  document.head.appendChild(link);
}

startApp(document.body);
