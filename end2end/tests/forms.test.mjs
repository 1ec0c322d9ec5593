// One form layout everywhere, hydrated and with JavaScript off: every label sits above its field
// and starts where the field starts, the help text sits below the field, and the error below the
// help. A fresh form shows no error; the error appears after a refused submission, under the
// field it is about (not only at the top of the page). Checked on the policy editor, the
// add-domain form, the alert channel form and the transition forms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, signUpAdmin } from './harness.mjs';

// Boxes of a field, its label, and its help and error (by aria-describedby, or `<id>-hint` and
// `<id>-error`).
async function layout(page, id) {
  return page.evaluate((id) => {
    const field = document.getElementById(id);
    if (!field) return null;
    const label = document.querySelector(`label[for="${id}"]`);
    const described = (field.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean)
      .concat([`${id}-hint`, `${id}-error`])
      .map((d) => document.getElementById(d))
      .filter(Boolean);
    const box = (el) => {
      if (!el) return null;
      const r = el.getBoundingClientRect();
      return { top: r.top, bottom: r.bottom, left: r.left, height: r.height, text: el.textContent.trim() };
    };
    return {
      label: box(label),
      field: box(field),
      hint: box(described.find((e) => e.classList.contains('hint'))),
      error: box(described.find((e) => e.classList.contains('field-error'))),
    };
  }, id);
}

async function assertLayout(page, id) {
  const l = await layout(page, id);
  assert.ok(l, `#${id} is on the page`);
  assert.ok(l.label, `#${id} has a label`);
  assert.ok(l.label.bottom <= l.field.top + 1, `#${id}: label (bottom ${l.label.bottom}) above the field (top ${l.field.top})`);
  assert.ok(Math.abs(l.label.left - l.field.left) < 2, `#${id}: label starts at ${l.label.left}, the field at ${l.field.left}`);
  if (l.hint?.height) assert.ok(l.hint.top >= l.field.bottom - 1, `#${id}: help below the field`);
  if (l.error?.height) {
    assert.ok(l.error.top >= l.field.bottom - 1, `#${id}: error below the field`);
    if (l.hint?.height) assert.ok(l.error.top >= l.hint.bottom - 1, `#${id}: error below the help`);
  }
  return l;
}

// The field's error text, asserting it sits below the field (and its help).
async function errorUnder(page, id) {
  const l = await assertLayout(page, id);
  assert.ok(l.error?.height > 0, `#${id} shows an error`);
  return l.error.text;
}

for (const js of [true, false]) {
  const mode = js ? 'hydrated' : 'JavaScript off';
  test(`forms line up (${mode})`, async (t) => {
    const server = await startServer(js ? 3208 : 3209, { PORTCULLIS_MONITOR_INTERVAL_SECS: '0' });
    const browser = await launch();
    const page = await (await browser.newContext({ javaScriptEnabled: js, viewport: { width: 1280, height: 900 } })).newPage();
    // Clicks a submit button of a plain form and waits for the page the refusal comes back on.
    const refused = async (button) => {
      const before = page.url();
      await button.click();
      await page.waitForURL((u) => u.href !== before && u.href.includes('__err='));
    };
    const open = async (path) => {
      await page.goto(server.base + path);
      if (js) await page.locator('body[data-hydrated]').waitFor({ state: 'attached', timeout: 15_000 });
    };
    try {
      await signUpAdmin(page, server.base);

      await t.test('add-domain form', async () => {
        await open('/?org=acme');
        const fresh = await assertLayout(page, 'add-name');
        assert.equal(fresh.error?.height ?? 0, 0, 'no error before anything is typed');
        await page.getByLabel('Domain name').fill('not a domain!');
        if (js) await page.getByRole('button', { name: 'Add domain' }).click();
        else await refused(page.getByRole('button', { name: 'Add domain' }));
        assert.match(await errorUnder(page, 'add-name'), /./);
        await page.getByLabel('Domain name').fill('forms.example');
        await page.getByRole('button', { name: 'Add domain' }).click();
        await page.getByText('Added forms.example to Acme.').waitFor();
        server.prove('forms.example');
      });

      await t.test('policy editor', async () => {
        await open('/domains/forms.example/policy');
        for (const id of ['policy-mode', 'policy-max-age', 'policy-mx']) {
          const l = await assertLayout(page, id);
          assert.equal(l.error?.height ?? 0, 0, `#${id}: no error on a fresh form`);
        }
        await page.getByRole('button', { name: 'Save policy' }).click();
        if (!js) await page.waitForURL(/\/policy/);
        await page.getByTestId('mx-error').filter({ hasText: /mx pattern/ }).waitFor();
        assert.match(await errorUnder(page, 'policy-mx'), /at least one mx pattern/);
        await page.getByLabel('MX patterns, one per line').fill('mx1.forms.example');
        await page.getByRole('button', { name: 'Save policy' }).click();
        await page.waitForURL(/\/domains\/forms\.example$/);
      });

      await t.test('alert channel form', async () => {
        await open('/orgs/acme/alerts');
        await assertLayout(page, 'channel-kind');
        const fresh = await assertLayout(page, 'channel-target');
        assert.ok(fresh.hint?.height > 0, 'the channel target has its help below it');
        assert.equal(fresh.error?.height ?? 0, 0);
        await page.getByLabel('Kind').selectOption('webhook');
        await page.getByLabel('E-mail address or URL').fill('not a url');
        await refused(page.getByRole('button', { name: 'Add channel' }));
        assert.match(await errorUnder(page, 'channel-target'), /./);
        assert.equal(await page.locator('.panel.error').count(), 0, 'the field error is not repeated at the top');
      });

      await t.test('transition forms', async () => {
        await open('/domains/forms.example/lifecycle');
        for (const id of ['enforce-confirm', 'enforce-reason', 'remove-confirm', 'remove-reason']) {
          const l = await assertLayout(page, id);
          assert.equal(l.error?.height ?? 0, 0, `#${id}: no error on a fresh form`);
        }
        // The gate fails (no reports yet): an override needs the name and a reason.
        await page.locator('#enforce-confirm').fill('forms.example');
        await page.getByTestId('to-enforce').getByRole('checkbox').check();
        await refused(page.getByRole('button', { name: 'Move to enforce' }));
        assert.match(await errorUnder(page, 'enforce-reason'), /say why the failed gate is overridden/);
        assert.equal((await layout(page, 'remove-reason')).error?.height ?? 0, 0, 'only the submitted form shows the error');
        await page.locator('#remove-confirm').fill('other.example');
        await refused(page.getByRole('button', { name: 'Remove MTA-STS' }));
        assert.match(await errorUnder(page, 'remove-confirm'), /type the domain name, forms\.example, exactly to confirm/);
      });
    } finally {
      await browser.close();
      await server.stop();
    }
  });
}
