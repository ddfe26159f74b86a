import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withProxySettings } from '../../src/extension/connectOptions';
import { readProxySettings } from '../../src/extension/settings';
import type { ConnectOptions } from '../../src/shared/options';

const base: ConnectOptions = { url: 'wss://api.example.test/ws', transport: 'ws' };
const settings = (o: Record<string, unknown>) => readProxySettings((k) => o[k]);

describe("VS Code's http.proxy settings", () => {
  it('reads and sanitizes them (strict SSL and override by default)', () => {
    assert.deepEqual(settings({}), { proxy: '', strictSSL: true, support: 'override', noProxy: [] });
    assert.deepEqual(settings({ proxy: ' http://p:3128 ', proxyStrictSSL: false, proxySupport: 'off', noProxy: ['a', 3, 'b'] }), {
      proxy: 'http://p:3128',
      strictSSL: false,
      support: 'off',
      noProxy: ['a', 'b'],
    });
  });

  it('http.proxy carries every connection, with http.noProxy and NO_PROXY for dial() to bypass', () => {
    const o = withProxySettings(base, settings({ proxy: 'http://proxy.test:3128', noProxy: ['internal.test'] }), { NO_PROXY: 'localhost' });
    assert.deepEqual(o.proxy, { url: 'http://proxy.test:3128', noProxy: ['internal.test', 'localhost'] });
    assert.equal(o.insecure, undefined, 'strict SSL stays on');
  });

  it('an empty http.proxy falls back to HTTPS_PROXY / HTTP_PROXY / NO_PROXY, as VS Code does', () => {
    assert.equal(withProxySettings(base, settings({}), { HTTPS_PROXY: 'http://env-proxy:8080' }).proxy?.url, 'http://env-proxy:8080');
    assert.equal(withProxySettings(base, settings({}), {}).proxy, undefined, 'no proxy anywhere: direct');
    assert.equal(withProxySettings(base, settings({}), { HTTPS_PROXY: 'http://env-proxy:8080', NO_PROXY: '.example.test' }).proxy, undefined, 'NO_PROXY bypass');
  });

  it('http.proxyStrictSSL false turns certificate checks off only for proxied connections', () => {
    assert.equal(withProxySettings(base, settings({ proxy: 'http://p:1', proxyStrictSSL: false }), {}).insecure, true);
    assert.equal(withProxySettings(base, settings({ proxyStrictSSL: false }), {}).insecure, undefined, 'no proxy, no change');
    const bypassed = withProxySettings(base, settings({ proxy: 'http://p:1', proxyStrictSSL: false, noProxy: ['api.example.test'] }), {});
    assert.equal(bypassed.insecure, undefined, 'a host on the no-proxy list keeps full certificate checks');
  });

  it('http.proxySupport off, or a proxy set on the connection itself, wins', () => {
    assert.equal(withProxySettings(base, settings({ proxy: 'http://p:1', proxySupport: 'off' }), {}).proxy, undefined);
    const own = { ...base, proxy: { url: 'http://mine:1' } };
    assert.equal(withProxySettings(own, settings({ proxy: 'http://p:1' }), {}).proxy?.url, 'http://mine:1');
  });
});
