// Turning approval off: the settings page says how many pending requests the
// choice would approve; saving it approves them all, each audited once; afterwards
// requests are approved on creation. The tests build on each other, in order.
import { expect, Page, test } from '@playwright/test';
import { useFreshServer } from '../server';
import {
  signedInPages,
  APPROVAL,
  FG,
  REPO_ACCESS,
  activeTokensPath,
  auditLog,
  createFineGrainedToken,
  devTokensPath,
  expectTokenStatus,
  fillFineGrainedForm,
  grantNames,
  grantRow,
  patSettingsPath,
  queuePath,
  radio,
  readNotifications,
  saveAndExpectSaved,
  signIn,
  statusOf,
  confirmAction,
} from '../helpers';

const srv = useFreshServer();
test.describe.configure({ mode: 'serial' });

const ORG = 'octo-org';
const signedInPage = signedInPages(srv);

const noRequire = (page: Page) => radio(page, APPROVAL.legend, APPROVAL.noRequire);

test('the settings page says how many pending requests turning approval off would approve', async ({ page, browser }) => {
  test.slow();
  await signIn(page, 'octo-owner');
  await page.goto(patSettingsPath(ORG));
  await expect(radio(page, APPROVAL.legend, APPROVAL.require)).toBeChecked();
  // Demo: deploy-bot and ci-reader are pending.
  const two = 'Saving this choice approves all 2 pending requests.';
  await expect(page.getByText(two, { exact: true })).toBeVisible();
  await expect(noRequire(page)).toHaveAccessibleDescription(new RegExp(two.replace(/\./g, '\\.')));
  // The notice stays out of the label.
  await expect(noRequire(page)).toHaveAccessibleName(APPROVAL.noRequire);

  // One approved: "the 1 pending request".
  await page.goto(queuePath(ORG));
  await page.getByRole('checkbox', { name: 'Select deploy-bot', exact: true }).check();
  await page.getByRole('button', { name: 'Approve selected', exact: true }).click();
  await confirmAction(page, 'Approve selected requests');
  await expect(page.getByRole('status')).toHaveText('Approved “deploy-bot”.');
  await page.goto(patSettingsPath(ORG));
  const one = 'Saving this choice approves the 1 pending request.';
  await expect(page.getByText(one, { exact: true })).toBeVisible();
  await expect(noRequire(page)).toHaveAccessibleDescription(new RegExp(one.replace(/\./g, '\\.')));

  // mona asks for another: 2 again.
  const mona = await signedInPage(browser, 'mona');
  await createFineGrainedToken(mona, {
    name: 'late-bot', owner: ORG, justification: 'Late to the party', selection: REPO_ACCESS.all, permissions: { Issues: 'Read-only' },
  });
  await expect(mona.getByRole('main')).toContainText('pending approval');
  await page.reload();
  await expect(page.getByText(two, { exact: true })).toBeVisible();
});

test('saving "Do not require administrator approval" approves every pending request', async ({ page, browser }) => {
  test.slow();
  await signIn(page, 'octo-owner');
  await page.goto(patSettingsPath(ORG));
  await noRequire(page).check();
  await saveAndExpectSaved(page);
  await expect(page.getByRole('status')).toContainText(/pending requests were approved/i);
  await expect(noRequire(page)).toBeChecked();
  // Nothing left to approve: no notice.
  await expect(page.getByText(/Saving this choice approves/)).toHaveCount(0);

  await page.goto(queuePath(ORG));
  await expect(page.getByRole('table')).toHaveCount(0);
  await expect(page.getByRole('main')).toContainText('No pending requests');
  await page.goto(activeTokensPath(ORG));
  expect((await grantNames(page)).sort()).toEqual(['ci-reader', 'deploy-bot', 'late-bot', 'owner-automation']);

  // Each approval audited once, by the owner who saved.
  const granted = await auditLog(page, ORG, 'personal_access_token.access_granted');
  for (const name of ['ci-reader', 'late-bot', 'deploy-bot']) {
    const mine = granted.filter((r) => r.details.includes(`“${name}”`));
    expect(mine, `access_granted for ${name}: ${JSON.stringify(granted, null, 1)}`).toHaveLength(1);
    expect(mine[0].actor).toContain('octo-owner');
  }
  const details = granted.map((r) => r.details);
  expect(new Set(details).size, `duplicate access_granted: ${JSON.stringify(details)}`).toBe(details.length);
  const enabled = await auditLog(page, ORG, 'auto_approve_personal_access_token_requests.enable');
  expect(enabled).toHaveLength(1);
  expect(enabled[0].actor).toContain('octo-owner');

  const mona = await signedInPage(browser, 'mona');
  await mona.goto(devTokensPath);
  await expectTokenStatus(mona, 'late-bot', 'Active');
  await mona.goto('/notifications');
  expect(await readNotifications(mona)).toContainEqual(expect.stringContaining('Your token “late-bot” was approved for octo-org.'));
  const hubot = await signedInPage(browser, 'hubot');
  await hubot.goto(devTokensPath);
  await expectTokenStatus(hubot, 'ci-reader', 'Active');
  await hubot.goto('/notifications');
  expect(await readNotifications(hubot)).toContainEqual(expect.stringContaining('Your token “ci-reader” was approved for octo-org.'));
});

test('with approval off, a request is approved on creation, no justification needed', async ({ page, browser }) => {
  test.slow();
  await signIn(page, 'mona');
  await page.goto(`${devTokensPath}/new`);
  // The resource owner help no longer says an owner approves requests.
  await expect(page.getByRole('combobox', { name: 'Resource owner', exact: true })).not.toHaveAccessibleDescription(/approves/);
  await createFineGrainedToken(page, { name: 'instant-bot', owner: ORG, selection: REPO_ACCESS.all, permissions: { Contents: 'Read-only' } });
  await expect(page.getByRole('main')).not.toContainText('pending approval');
  await expect(page.getByRole('button', { name: 'Cancel request', exact: true })).toHaveCount(0);
  await page.goto(devTokensPath);
  await expectTokenStatus(page, 'instant-bot', 'Active');

  const owner = await signedInPage(browser, 'octo-owner');
  await owner.goto(queuePath(ORG));
  await expect(owner.getByRole('main')).toContainText('No pending requests');
  await owner.goto(activeTokensPath(ORG));
  await expect(grantRow(owner, 'instant-bot')).toContainText('mona');
  const granted = await auditLog(owner, ORG, 'personal_access_token.access_granted');
  expect(granted.filter((r) => r.details.includes('“instant-bot”'))).toHaveLength(1);
});

test('approval required again: new requests wait, approved tokens stay active', async ({ page, browser }) => {
  test.slow();
  await signIn(page, 'octo-owner');
  await page.goto(patSettingsPath(ORG));
  await radio(page, APPROVAL.legend, APPROVAL.require).check();
  await saveAndExpectSaved(page);
  await expect(page.getByRole('status')).not.toContainText(/approved/i);
  await expect(radio(page, FG.legend, FG.allow)).toBeChecked();

  const mona = await signedInPage(browser, 'mona');
  await mona.goto(`${devTokensPath}/new`);
  await fillFineGrainedForm(mona, { name: 'after-bot', owner: ORG, selection: REPO_ACCESS.all, permissions: { Issues: 'Read-only' } });
  expect(await statusOf(mona, () => mona.getByRole('button', { name: 'Generate token', exact: true }).click())).toBe(422);
  await expect(mona.getByRole('alert')).toContainText(/justification/i);
  await mona.getByRole('textbox', { name: 'Justification', exact: true }).fill('Needed after all');
  await mona.getByRole('button', { name: 'Generate token', exact: true }).click();
  await expect(mona.getByRole('main')).toContainText('pending approval');
  await mona.goto(devTokensPath);
  await expectTokenStatus(mona, 'after-bot', 'Pending');
  await expectTokenStatus(mona, 'instant-bot', 'Active');
  await expectTokenStatus(mona, 'late-bot', 'Active');

  await page.goto(queuePath(ORG));
  expect(await grantNames(page)).toEqual(['after-bot']);
  await page.goto(patSettingsPath(ORG));
  await expect(page.getByText('Saving this choice approves the 1 pending request.', { exact: true })).toBeVisible();
  const disabled = await auditLog(page, ORG, 'auto_approve_personal_access_token_requests.disable');
  expect(disabled).toHaveLength(1);
});
