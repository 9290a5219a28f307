// Webhooks: an owner adds one with the form, a request reaches a receiver
// running here (the e2e server runs with --demo, which lets deliveries
// reach 127.0.0.1), the webhook's page lists it under "Recent deliveries"
// and Redeliver sends it again with a new delivery id. With and without
// JavaScript, with axe and screenshots.
import { expect, Page, test } from '@playwright/test';
import { createHmac } from 'node:crypto';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { useFreshServer } from '../server';
import {
  createFineGrainedTokensQuickly,
  expectNoAxeViolations,
  flash,
  group,
  orgProfilePath,
  orgSettingsNav,
  REPO_ACCESS,
  screenshotsAt,
  signIn,
  statusOf,
} from '../helpers';

const srv = useFreshServer();
test.describe.configure({ mode: 'serial' });

const SECRET = 'e2e webhook secret';
const EVENTS = 'Which events would you like to trigger this webhook?';

interface Delivery {
  event: string;
  guid: string;
  signatureOK: boolean;
  body: { action: string; personal_access_token_request?: { token_name: string } };
}

// A receiver on 127.0.0.1 that checks each delivery's signature.
let receiver: http.Server;
let receiverURL = '';
const received: Delivery[] = [];

test.beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const want = 'sha256=' + createHmac('sha256', SECRET).update(raw).digest('hex');
      received.push({
        event: String(req.headers['x-github-event']),
        guid: String(req.headers['x-github-delivery']),
        signatureOK: req.headers['x-hub-signature-256'] === want,
        body: JSON.parse(raw.toString('utf8')),
      });
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('received');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverURL = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});

test.afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
});

const shots = (page: Page, name: string) => screenshotsAt(page, 'webhooks-' + name);

async function requestAsMona(page: Page, name: string) {
  const ctx = await page.context().browser()!.newContext({ baseURL: srv.baseURL });
  const mona = await ctx.newPage();
  await signIn(mona, 'mona');
  await createFineGrainedTokensQuickly(mona, [{ name, owner: 'octo-org', justification: 'Webhook e2e', selection: REPO_ACCESS.all,
    permissions: { Contents: 'Read-only' } }]);
  await ctx.close();
}

test('add a webhook; a request is delivered signed; Redeliver sends it again', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await page.goto(orgProfilePath('octo-org'));
  await orgSettingsNav(page).getByRole('link', { name: 'Webhooks', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Webhooks', level: 1 })).toBeVisible();
  await expectNoAxeViolations(page, 'webhooks, none yet');
  await page.getByRole('link', { name: 'Add webhook', exact: true }).click();

  // A bad URL is refused with the input kept.
  await page.getByRole('textbox', { name: 'Payload URL', exact: true }).fill('ftp://example.com/hook');
  expect(await statusOf(page, () => page.getByRole('button', { name: 'Add webhook', exact: true }).click())).toBe(422);
  const url = page.getByRole('textbox', { name: 'Payload URL', exact: true });
  await expect(url).toHaveValue('ftp://example.com/hook');
  await expect(url).toHaveAccessibleDescription(/http:\/\/ or https:\/\//);
  await expectNoAxeViolations(page, 'webhook form with an error');
  await shots(page, 'form-error');

  await url.fill(receiverURL);
  await page.getByRole('textbox', { name: 'Secret', exact: true }).fill(SECRET);
  const events = group(page, EVENTS);
  await expect(events.getByRole('checkbox', { name: 'Personal access token requests', exact: true })).toBeChecked();
  await events.getByRole('checkbox', { name: 'Personal access tokens', exact: true }).check();
  await expect(page.getByRole('checkbox', { name: 'Active', exact: true })).toBeChecked();
  await page.getByRole('button', { name: 'Add webhook', exact: true }).click();
  await expect(flash(page)).toContainText('webhook was added');
  await expect(page.getByRole('heading', { name: 'Recent deliveries' })).toBeVisible();
  // The secret is never shown back.
  await expect(page.getByRole('textbox', { name: 'Secret', exact: true })).toHaveValue('');

  await requestAsMona(page, 'hooked-e2e');
  await expect.poll(() => received.length, { timeout: 15_000 }).toBe(1);
  expect(received[0].event).toBe('personal_access_token_request');
  expect(received[0].signatureOK).toBe(true);
  expect(received[0].body.action).toBe('created');
  expect(received[0].body.personal_access_token_request?.token_name).toBe('hooked-e2e');

  await page.reload();
  const table = page.getByRole('table', { name: /Recent deliveries/ });
  await expect(table.getByRole('row')).toHaveCount(2);
  const row = table.getByRole('row').nth(1);
  await expect(row).toContainText('OK');
  await expect(row).toContainText('200');
  await expect(row).toContainText(received[0].guid);
  await expectNoAxeViolations(page, 'webhook page with a delivery');
  await shots(page, 'hook');

  await row.getByRole('button', { name: 'Redeliver', exact: true }).click();
  await expect(flash(page)).toContainText('sent again');
  await expect.poll(() => received.length, { timeout: 15_000 }).toBe(2);
  expect(received[1].guid).not.toBe(received[0].guid);
  expect(received[1].signatureOK).toBe(true);
  await page.reload();
  await expect(table.getByRole('row')).toHaveCount(3);
  await expect(table.getByRole('row').nth(1)).toContainText('redelivery');

  await page.goto(orgProfilePath('octo-org'));
  await orgSettingsNav(page).getByRole('link', { name: 'Webhooks', exact: true }).click();
  await expect(page.getByRole('link', { name: receiverURL, exact: true })).toBeVisible();
  await expectNoAxeViolations(page, 'webhooks list');
  await shots(page, 'list');

  // Deleting asks first.
  await page.getByRole('link', { name: receiverURL, exact: true }).click();
  await page.getByRole('button', { name: 'Delete webhook', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete this webhook?', exact: true });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Delete webhook', exact: true }).click();
  await expect(flash(page)).toContainText('webhook was deleted');
  await expect(page.getByText('This organization has no webhooks.')).toBeVisible();
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('add, see the delivery, redeliver and delete a webhook', async ({ page }) => {
    const before = received.length;
    await signIn(page, 'octo-owner');
    await page.goto(orgProfilePath('octo-org'));
    await orgSettingsNav(page).getByRole('link', { name: 'Webhooks', exact: true }).click();
    await page.getByRole('link', { name: 'Add webhook', exact: true }).click();
    await page.getByRole('textbox', { name: 'Payload URL', exact: true }).fill(receiverURL);
    await page.getByRole('textbox', { name: 'Secret', exact: true }).fill(SECRET);
    await page.getByRole('button', { name: 'Add webhook', exact: true }).click();
    await expect(flash(page)).toContainText('webhook was added');
    const hookURL = page.url();

    await requestAsMona(page, 'hooked-nojs');
    await expect.poll(() => received.length, { timeout: 15_000 }).toBe(before + 1);
    await page.goto(hookURL);
    const table = page.getByRole('table', { name: /Recent deliveries/ });
    await table.getByRole('row').nth(1).getByRole('button', { name: 'Redeliver', exact: true }).click();
    await expect(flash(page)).toContainText('sent again');
    await expect.poll(() => received.length, { timeout: 15_000 }).toBe(before + 2);

    await page.getByRole('button', { name: 'Delete webhook', exact: true }).click();
    await expect(page.getByRole('heading', { name: 'Delete this webhook?', level: 1 })).toBeVisible();
    await page.getByRole('button', { name: 'Delete webhook', exact: true }).click();
    await expect(flash(page)).toContainText('webhook was deleted');
  });
});
