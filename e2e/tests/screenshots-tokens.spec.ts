// Full-page screenshots of the token pages into e2e/.tmp/shots/ (next to those of
// screenshots.spec.ts) for humans to look at.
import { Page, test } from '@playwright/test';
import * as path from 'node:path';
import { useFreshServer } from '../server';
import {
  REPO_ACCESS,
  activeTokensPath,
  classicTokensPath,
  createClassicToken,
  createFineGrainedToken,
  devTokensPath,
  fillFineGrainedForm,
  patSettingsPath,
  queuePath,
  signIn,
  confirmAction,
} from '../helpers';

useFreshServer();

const SHOTS = path.join(__dirname, '..', '.tmp', 'shots');
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

test('screenshots of the token pages', async ({ page, browser, baseURL }) => {
  test.slow();
  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page, 'mona');
  await page.goto(devTokensPath);
  await shot(page, '20-dev-fine-grained-list');
  await page.goto(`${devTokensPath}/new`);
  await shot(page, '21-dev-new-token');
  await fillFineGrainedForm(page, {
    name: 'release-bot', owner: 'octo-org', description: 'Cuts releases', selection: REPO_ACCESS.selected,
    repos: ['octo-web'], permissions: { Contents: 'Read and write' },
  });
  await page.getByRole('button', { name: 'Generate token', exact: true }).click();
  await shot(page, '22-dev-new-token-error');
  await page.getByRole('textbox', { name: 'Justification', exact: true }).fill('Release automation for octo-web');
  await page.getByRole('button', { name: 'Generate token', exact: true }).click();
  await shot(page, '23-dev-token-once-pending');
  await page.reload();
  await shot(page, '24-dev-token-page');
  await page.goto(classicTokensPath);
  await shot(page, '25-dev-classic-list-empty');
  await page.goto(`${classicTokensPath}/new`);
  await shot(page, '26-dev-classic-new');
  await createClassicToken(page, { note: 'laptop git', scopes: ['repo', 'read:org'] });
  await shot(page, '27-dev-classic-once');
  await page.goto(classicTokensPath);
  await shot(page, '28-dev-classic-list');

  const ctx = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
  const owner = await ctx.newPage();
  await signIn(owner, 'octo-owner');
  await owner.goto(queuePath('octo-org'));
  await shot(owner, '30-queue');
  await owner.goto(`${queuePath('octo-org')}?owner=mona&repository=octo-web&permission=contents`);
  await shot(owner, '31-queue-filtered');
  await owner.getByRole('link', { name: 'release-bot', exact: true }).click();
  await shot(owner, '32-request');
  await owner.getByRole('button', { name: 'Deny', exact: true }).click();
  await shot(owner, '33-deny-confirmation');
  await owner.getByRole('textbox', { name: 'Reason', exact: true }).fill('Use the release app instead');
  await owner.getByRole('button', { name: 'Deny request', exact: true }).click();
  await shot(owner, '34-queue-after-deny');
  await owner.getByRole('checkbox', { name: 'Select deploy-bot', exact: true }).check();
  await owner.getByRole('button', { name: 'Approve selected', exact: true }).click();
  await confirmAction(owner, 'Approve selected requests');
  await owner.goto(activeTokensPath('octo-org'));
  await shot(owner, '35-active-tokens');
  await owner.getByRole('link', { name: 'deploy-bot', exact: true }).click();
  await shot(owner, '36-active-token');
  await owner.goto(patSettingsPath('octo-org'));
  await shot(owner, '37-pat-settings-pending-notice');
  await owner.goto('/notifications');
  await shot(owner, '38-notifications-owner');
  await owner.goto(`${queuePath('octo-org')}?owner=octo-owner`);
  await shot(owner, '39-queue-empty');
  await ctx.close();

  await page.goto(devTokensPath);
  await shot(page, '40-dev-list-after-decisions');
  await page.getByRole('link', { name: 'release-bot', exact: true }).click();
  await shot(page, '41-dev-token-denied');
  await page.goto('/notifications');
  await shot(page, '42-notifications-requester');
  await createFineGrainedToken(page, { name: 'self-token' });
  await shot(page, '43-dev-token-once-active');
});
