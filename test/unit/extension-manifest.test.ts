import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { COMMAND_NAMES, COMMANDS, commandId } from '../../src/extension/commandIds';
import { readSettings, SETTING_DEFAULTS } from '../../src/extension/settings';

interface Manifest {
  main: string;
  contributes: {
    commands: Array<{ command: string; title: string; category: string }>;
    configuration: { properties: Record<string, { default: unknown; type: string }> };
    views: Record<string, Array<{ id: string }>>;
    viewsContainers: { activitybar: Array<{ id: string; icon: string }> };
    menus: Record<string, Array<{ command: string }>>;
  };
}

const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as Manifest;

describe('package.json contributions', () => {
  it('lists exactly the commands the extension registers, with their titles and category', () => {
    const listed = pkg.contributes.commands.map((c) => c.command).sort();
    assert.deepEqual(listed, COMMAND_NAMES.map(commandId).sort());
    for (const c of pkg.contributes.commands) {
      assert.equal(c.category, 'Realtime Inspector');
      assert.equal(c.title, COMMANDS[c.command.replace('realtimeInspector.', '') as keyof typeof COMMANDS]);
    }
  });

  it('menus only refer to contributed commands', () => {
    const ids = new Set(pkg.contributes.commands.map((c) => c.command));
    for (const [menu, items] of Object.entries(pkg.contributes.menus)) for (const i of items) assert.ok(ids.has(i.command), `${menu}: ${i.command}`);
  });

  it('declares every setting the extension reads, with the same defaults', () => {
    const props = pkg.contributes.configuration.properties;
    const read: string[] = [];
    const s = readSettings((k) => {
      read.push(`realtimeInspector.${k}`);
      return props[`realtimeInspector.${k}`]?.default;
    });
    assert.deepEqual(s, SETTING_DEFAULTS, 'manifest defaults equal the code defaults');
    assert.deepEqual([...new Set(read)].sort(), Object.keys(props).sort());
    for (const key of Object.keys(props)) assert.ok(!/token|secret|password/i.test(key), `no secrets in settings: ${key}`);
  });

  it('puts the saved connections view in an activity bar container with a codicon', () => {
    const container = pkg.contributes.viewsContainers.activitybar.find((c) => c.id === 'realtimeInspector');
    assert.ok(container);
    assert.match(container.icon, /^\$\([a-z-]+\)$/);
    assert.deepEqual(pkg.contributes.views.realtimeInspector.map((v) => v.id), ['realtimeInspector.connections']);
    assert.equal(pkg.main, './dist/extension.js');
  });
});
