// The approval loop (Pending requests, Active tokens): members request tokens
// for octo-org, its owner filters the queue, approves, denies with a reason, decides
// in bulk and revokes; the requesters see each outcome on their token pages and in
// their notifications; the audit log records each event once.
// The tests build on each other, in order, on this file's own server.
import { expect, Page, test } from '@playwright/test';
import { useFreshServer } from '../server';
import {
  signedInPages,
  REPO_ACCESS,
  activeTokensPath,
  auditLog,
  createFineGrainedToken,
  devTokensPath,
  expectTokenStatus,
  expectUnread,
  filterGrants,
  flash,
  grantNames,
  grantRow,
  notificationsLink,
  orgSettingsNav,
  queuePath,
  readGrantTable,
  readNotifications,
  signIn,
  statusOf,
  confirmAction,
} from '../helpers';

const srv = useFreshServer();
test.describe.configure({ mode: 'serial' });

const ORG = 'octo-org';
const signedInPage = signedInPages(srv);

/** Decides one request from its detail page, reached from the queue's link. */
async function openRequest(page: Page, name: string) {
  await page.goto(queuePath(ORG));
  await grantRow(page, name).getByRole('link', { name, exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`${queuePath(ORG)}/\\d+$`));
  await expect(page.getByRole('heading', { name, exact: true, level: 1 })).toBeVisible();
}

test('members request tokens for octo-org; the owner is notified', async ({ page, browser }) => {
  test.slow();
  await signIn(page, 'mona');
  await createFineGrainedToken(page, {
    name: 'web-deployer', owner: ORG, justification: 'Deploys the website',
    selection: REPO_ACCESS.selected, repos: ['octo-web'], permissions: { Contents: 'Read and write' },
  });
  await expect(page.getByRole('main')).toContainText('pending approval');
  await createFineGrainedToken(page, {
    name: 'infra-reader', owner: ORG, justification: 'Reads infra issues',
    selection: REPO_ACCESS.selected, repos: ['octo-infra'], permissions: { Issues: 'Read-only' },
  });
  await createFineGrainedToken(page, {
    name: 'api-issues', owner: ORG, justification: 'Triage bot', expiration: '7 days',
    selection: REPO_ACCESS.selected, repos: ['octo-api'], permissions: { Issues: 'Read and write', 'Pull requests': 'Read-only' },
  });
  const hubot = await signedInPage(browser, 'hubot');
  await createFineGrainedToken(hubot, {
    name: 'hubot-members', owner: ORG, justification: 'Syncs the team list', permissions: { Members: 'Read-only' },
  });

  const owner = await signedInPage(browser, 'octo-owner');
  // Two demo requests and these four.
  await expectUnread(owner, 6);
  await notificationsLink(owner).click();
  const notes = await readNotifications(owner);
  for (const [who, name] of [['mona', 'web-deployer'], ['mona', 'infra-reader'], ['mona', 'api-issues'], ['hubot', 'hubot-members']]) {
    expect(notes).toContainEqual(expect.stringContaining(`${who} requests access to octo-org with token “${name}”.`));
  }
  // A notification leads to the request.
  await owner.getByRole('link', { name: 'mona requests access to octo-org with token “web-deployer”.', exact: true }).click();
  await expect(owner).toHaveURL(new RegExp(`${queuePath(ORG)}/\\d+$`));
  await expect(owner.getByRole('heading', { name: 'web-deployer', exact: true, level: 1 })).toBeVisible();
});

test('only owners reach the queue and the active tokens (others: 404)', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await page.goto(queuePath(ORG));
  const requestPath = await page.getByRole('link', { name: 'web-deployer', exact: true }).getAttribute('href');
  await page.goto(activeTokensPath(ORG));
  const tokenPath = await page.getByRole('link', { name: 'owner-automation', exact: true }).getAttribute('href');
  const mona = await signedInPage(page.context().browser()!, 'mona');
  for (const p of [queuePath(ORG), requestPath!, `${requestPath}/deny`, activeTokensPath(ORG), tokenPath!]) {
    expect((await mona.goto(p))?.status(), p).toBe(404);
  }
  // octo-owner does not own other organizations' queues either.
  expect((await page.goto('/organizations/no-such-org/settings/personal-access-token-requests'))?.status()).toBe(404);
});

test('the owner filters the queue by owner, repository and permission', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await page.goto(`/organizations/${ORG}/settings/profile`);
  await orgSettingsNav(page).getByRole('link', { name: 'Pending requests', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`${queuePath(ORG)}$`));
  await expect(page.getByRole('heading', { name: 'Pending requests', exact: true })).toBeVisible();
  await expect(orgSettingsNav(page).getByRole('link', { name: 'Pending requests', exact: true })).toHaveAttribute('aria-current', 'page');
  // Newest first.
  expect(await grantNames(page)).toEqual(['hubot-members', 'api-issues', 'infra-reader', 'web-deployer', 'ci-reader', 'deploy-bot']);
  const all = await readGrantTable(page);
  const web = all.find((r) => r.name === 'web-deployer')!;
  expect(web.owner).toBe('mona');
  expect(web.access).toBe('octo-web');
  expect(web.permissions).toContain('Contents: Read and write');
  expect(web.fifth).toBe('Deploys the website');

  const ownerBox = page.getByRole('combobox', { name: 'Owner', exact: true });
  await expect(ownerBox.getByRole('option').first()).toHaveText('Any owner');
  await expect(page.getByRole('combobox', { name: 'Permission', exact: true }).getByRole('option', { name: 'Contents', exact: true }))
    .toHaveAttribute('value', 'contents');

  // Owner.
  await filterGrants(page, { owner: 'mona' });
  expect(new URL(page.url()).searchParams.get('owner')).toBe('mona');
  await expect(ownerBox).toHaveValue('mona');
  let rows = await readGrantTable(page);
  expect(rows.map((r) => r.name)).toEqual(['api-issues', 'infra-reader', 'web-deployer', 'deploy-bot']);
  for (const r of rows) expect(r.owner).toBe('mona');

  // Owner and repository.
  await filterGrants(page, { repository: 'octo-api' });
  let params = new URL(page.url()).searchParams;
  expect(params.get('owner')).toBe('mona');
  expect(params.get('repository')).toBe('octo-api');
  await expect(page.getByRole('combobox', { name: 'Repository', exact: true })).toHaveValue('octo-api');
  rows = await readGrantTable(page);
  expect(rows.map((r) => r.name)).toEqual(['api-issues', 'deploy-bot']);
  for (const r of rows) expect(r.access).toContain('octo-api');

  // Owner, repository and permission.
  await filterGrants(page, { permission: 'issues' });
  params = new URL(page.url()).searchParams;
  expect([params.get('owner'), params.get('repository'), params.get('permission')]).toEqual(['mona', 'octo-api', 'issues']);
  await expect(page.getByRole('combobox', { name: 'Permission', exact: true })).toHaveValue('issues');
  rows = await readGrantTable(page);
  expect(rows.map((r) => r.name)).toEqual(['api-issues']);
  expect(rows[0].permissions).toContain('Issues: Read and write');

  // The URL alone reproduces the view (a shared link, or no JS).
  await page.goto(`${queuePath(ORG)}?owner=hubot&permission=members`);
  expect(await grantNames(page)).toEqual(['hubot-members']);
  await expect(ownerBox).toHaveValue('hubot');

  // A repository filter also matches tokens for all repositories (hubot's ci-reader).
  await page.goto(`${queuePath(ORG)}?repository=octo-infra`);
  expect(await grantNames(page)).toEqual(['infra-reader', 'ci-reader']);

  // Nothing matches: the empty state.
  await page.goto(`${queuePath(ORG)}?owner=octo-owner`);
  await expect(page.getByRole('table')).toHaveCount(0);
  await expect(page.getByRole('main')).toContainText('No pending requests');

  // An unknown value is refused with a message, not silently ignored.
  const res = await page.goto(`${queuePath(ORG)}?owner=nobody`);
  expect(res?.status()).toBe(400);
  await expect(page.getByRole('alert')).toContainText('nobody');
});

test('"Clear filters" on the queue shows every request again', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await page.goto(`${queuePath(ORG)}?owner=mona`);
  expect(await grantNames(page)).toHaveLength(4);
  await page.getByRole('link', { name: 'Clear filters', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`${queuePath(ORG)}$`), { timeout: 2_000 });
  expect(await grantNames(page)).toHaveLength(6);
});

test('the owner approves a request from its page', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await openRequest(page, 'deploy-bot');
  const main = page.getByRole('main');
  await expect(main).toContainText('mona');
  await expect(main).toContainText('Deploys the API');
  await expect(main).toContainText('octo-api');
  await expect(main).toContainText('Contents: Read-only');
  await expect(page.getByRole('button', { name: 'Deny', exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`${queuePath(ORG)}$`));
  await expect(flash(page)).toHaveText('Approved “deploy-bot”.');
  await expect(page.getByRole('link', { name: 'deploy-bot', exact: true })).toHaveCount(0);
  await page.goto(activeTokensPath(ORG));
  await expect(grantRow(page, 'deploy-bot')).toContainText('mona');
});

test('the owner denies a request with a reason, after a confirmation', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await openRequest(page, 'web-deployer');
  const requestURL = page.url();
  await page.getByRole('button', { name: 'Deny', exact: true }).click();
  await expect(page).toHaveURL(`${requestURL}/deny`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Deny web-deployer');
  // Going back changes nothing.
  await page.getByRole('link', { name: 'Back', exact: true }).click();
  await expect(page).toHaveURL(requestURL);
  await page.getByRole('button', { name: 'Deny', exact: true }).click();
  await page.getByRole('textbox', { name: 'Reason', exact: true }).fill('Use the deploy app instead');
  await page.getByRole('button', { name: 'Deny request', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`${queuePath(ORG)}$`));
  await expect(flash(page)).toHaveText('Denied “web-deployer”.');
  await expect(page.getByRole('link', { name: 'web-deployer', exact: true })).toHaveCount(0);
  await page.goto(activeTokensPath(ORG));
  await expect(page.getByRole('link', { name: 'web-deployer', exact: true })).toHaveCount(0);
});

test('mona sees Active and Denied with the reason, and is notified', async ({ page }) => {
  await signIn(page, 'mona');
  await expectUnread(page, 2);
  await page.goto(devTokensPath);
  await expectTokenStatus(page, 'deploy-bot', 'Active');
  await expectTokenStatus(page, 'web-deployer', 'Denied');
  await expectTokenStatus(page, 'infra-reader', 'Pending');

  await page.getByRole('link', { name: 'web-deployer', exact: true }).click();
  const main = page.getByRole('main');
  await expect(main).toContainText('Denied');
  await expect(main).toContainText('Reason: Use the deploy app instead');
  await expect(page.getByRole('button', { name: 'Cancel request', exact: true })).toHaveCount(0);
  await page.goto(devTokensPath);
  await page.getByRole('link', { name: 'deploy-bot', exact: true }).click();
  await expect(main).toContainText('Active');
  await expect(main).not.toContainText('pending approval');
  await expect(page.getByRole('button', { name: 'Cancel request', exact: true })).toHaveCount(0);

  await notificationsLink(page).click();
  await expect(page).toHaveURL(/\/notifications$/);
  const notes = await readNotifications(page);
  expect(notes).toHaveLength(2);
  expect(notes).toContainEqual(expect.stringContaining('Your token “deploy-bot” was approved for octo-org.'));
  expect(notes).toContainEqual(expect.stringContaining('Your request for token “web-deployer” was denied by octo-org. Reason: Use the deploy app instead'));
  // Newest first.
  expect(notes[0]).toContain('web-deployer');
  await page.getByRole('button', { name: 'Mark all as read', exact: true }).click();
  await expect(page).toHaveURL(/\/notifications$/);
  await expectUnread(page, 0);
  await expect(page.getByRole('button', { name: 'Mark all as read', exact: true })).toHaveCount(0);
  expect(await readNotifications(page)).toHaveLength(2);
});

test('bulk approve of the selected rows, keeping the filter', async ({ page, browser }) => {
  await signIn(page, 'octo-owner');
  await page.goto(queuePath(ORG));
  await filterGrants(page, { repository: 'octo-infra' });
  expect(await grantNames(page)).toEqual(['infra-reader', 'ci-reader']);
  await page.getByRole('checkbox', { name: 'Select infra-reader', exact: true }).check();
  await page.getByRole('checkbox', { name: 'Select ci-reader', exact: true }).check();
  await page.getByRole('button', { name: 'Approve selected', exact: true }).click();
  await confirmAction(page, 'Approve selected requests');
  await expect(flash(page)).toHaveText('Approved 2 requests.');
  expect(new URL(page.url()).searchParams.get('repository')).toBe('octo-infra');
  await expect(page.getByRole('main')).toContainText('No pending requests');
  // The rows not selected are still pending.
  await page.goto(queuePath(ORG));
  expect(await grantNames(page)).toEqual(['hubot-members', 'api-issues']);
  await page.goto(activeTokensPath(ORG));
  await expect(grantRow(page, 'infra-reader')).toHaveCount(1);
  await expect(grantRow(page, 'ci-reader')).toHaveCount(1);

  // Nothing selected: refused, nothing changes.
  await page.goto(queuePath(ORG));
  const status = await statusOf(page, () => page.getByRole('button', { name: 'Approve selected', exact: true }).click());
  expect(status).toBe(422);
  await expect(page.getByRole('alert')).toBeVisible();
  await page.goto(queuePath(ORG));
  expect(await grantNames(page)).toEqual(['hubot-members', 'api-issues']);

  const hubot = await signedInPage(browser, 'hubot');
  await hubot.goto(devTokensPath);
  await expectTokenStatus(hubot, 'ci-reader', 'Active');
  await expectTokenStatus(hubot, 'hubot-members', 'Pending');
});

test('bulk deny of the selected rows, with a reason', async ({ page, browser }) => {
  await signIn(page, 'octo-owner');
  await page.goto(queuePath(ORG));
  await page.getByRole('checkbox', { name: 'Select hubot-members', exact: true }).check();
  await page.getByRole('checkbox', { name: 'Select api-issues', exact: true }).check();
  await page.getByRole('textbox', { name: 'Reason', exact: true }).fill('Too broad');
  await page.getByRole('button', { name: 'Deny selected', exact: true }).click();
  await confirmAction(page, 'Deny selected requests');
  await expect(flash(page)).toHaveText('Denied 2 requests.');
  await expect(page.getByRole('table')).toHaveCount(0);
  await expect(page.getByRole('main')).toContainText('No pending requests');

  const hubot = await signedInPage(browser, 'hubot');
  await expectUnread(hubot, 2); // ci-reader approved, hubot-members denied
  await hubot.goto(devTokensPath);
  await expectTokenStatus(hubot, 'hubot-members', 'Denied');
  await hubot.getByRole('link', { name: 'hubot-members', exact: true }).click();
  await expect(hubot.getByRole('main')).toContainText('Reason: Too broad');
  await hubot.goto('/notifications');
  const notes = await readNotifications(hubot);
  expect(notes).toContainEqual(expect.stringContaining('Your request for token “hubot-members” was denied by octo-org. Reason: Too broad'));
  expect(notes).toContainEqual(expect.stringContaining('Your token “ci-reader” was approved for octo-org.'));
});

test('deciding a request another owner tab already decided answers 409 "no longer pending"', async ({ page, browser }) => {
  test.slow();
  await signIn(page, 'mona');
  await createFineGrainedToken(page, { name: 'race-bot', owner: ORG, justification: 'Races', selection: REPO_ACCESS.all, permissions: { Metadata: 'Read-only' } });
  const a = await signedInPage(browser, 'octo-owner');
  const b = await signedInPage(browser, 'octo-owner');
  await openRequest(a, 'race-bot');
  await openRequest(b, 'race-bot');
  const requestURL = b.url();
  const stale = await signedInPage(browser, 'octo-owner');
  await stale.goto(queuePath(ORG));
  await expect(grantRow(stale, 'race-bot')).toHaveCount(1);

  await a.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(flash(a)).toHaveText('Approved “race-bot”.');

  // B's page still offers Approve: 409, nothing changed.
  expect(await statusOf(b, () => b.getByRole('button', { name: 'Approve', exact: true }).click())).toBe(409);
  await expect(b.getByRole('main')).toContainText('no longer pending');
  // The deny confirmation of a decided request: 409 too.
  const res = await b.goto(`${requestURL}/deny`);
  expect(res?.status()).toBe(409);
  await expect(b.getByRole('main')).toContainText('no longer pending');
  // Its page now shows the decision, without the buttons.
  await b.goto(requestURL);
  await expect(b.getByRole('main')).toContainText('Approved');
  await expect(b.getByRole('button', { name: 'Approve', exact: true })).toHaveCount(0);
  await expect(b.getByRole('button', { name: 'Deny', exact: true })).toHaveCount(0);

  // A bulk decision from a stale list skips it and says so.
  await stale.getByRole('checkbox', { name: 'Select race-bot', exact: true }).check();
  await stale.getByRole('button', { name: 'Deny selected', exact: true }).click();
  await confirmAction(stale, 'Deny selected requests');
  await expect(flash(stale)).toContainText('1 selected item had already been decided or withdrawn');
  await stale.goto(activeTokensPath(ORG));
  await expect(grantRow(stale, 'race-bot')).toHaveCount(1);

  await page.goto(devTokensPath);
  await expectTokenStatus(page, 'race-bot', 'Active');
});

test('the owner revokes one active token from its page', async ({ page, browser }) => {
  await signIn(page, 'octo-owner');
  await page.goto(`/organizations/${ORG}/settings/profile`);
  await orgSettingsNav(page).getByRole('link', { name: 'Active tokens', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`${activeTokensPath(ORG)}$`));
  await expect(page.getByRole('heading', { name: 'Active tokens', exact: true })).toBeVisible();
  const names = await grantNames(page);
  expect(names[0]).toBe('race-bot'); // newest approval first
  expect([...names].sort()).toEqual(['ci-reader', 'deploy-bot', 'infra-reader', 'owner-automation', 'race-bot']);
  const rows = await readGrantTable(page);
  expect(rows.find((r) => r.name === 'owner-automation')!.owner).toBe('octo-owner');

  await grantRow(page, 'deploy-bot').getByRole('link', { name: 'deploy-bot', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/organizations/${ORG}/settings/personal-access-tokens/\\d+$`));
  const main = page.getByRole('main');
  await expect(page.getByRole('heading', { name: 'deploy-bot', exact: true, level: 1 })).toBeVisible();
  await expect(main).toContainText('Last used');
  await expect(main).toContainText('octo-api');
  await page.getByRole('button', { name: 'Revoke', exact: true }).click();
  await confirmAction(page, 'Revoke token');
  await expect(page).toHaveURL(new RegExp(`${activeTokensPath(ORG)}$`));
  await expect(flash(page)).toHaveText('Revoked “deploy-bot”.');
  await expect(page.getByRole('link', { name: 'deploy-bot', exact: true })).toHaveCount(0);

  const mona = await signedInPage(browser, 'mona');
  // Since she marked all read: infra-reader approved, api-issues denied, race-bot approved, deploy-bot revoked.
  await expectUnread(mona, 4);
  await mona.goto(devTokensPath);
  await expectTokenStatus(mona, 'deploy-bot', 'Revoked');
  await mona.getByRole('link', { name: 'deploy-bot', exact: true }).click();
  await expect(mona.getByRole('main')).toContainText('revoked');
  await mona.goto('/notifications');
  expect(await readNotifications(mona)).toContainEqual(expect.stringContaining('Your token “deploy-bot” was revoked by octo-org.'));
});

test('the owner filters active tokens and revokes the selected ones', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await page.goto(activeTokensPath(ORG));
  await filterGrants(page, { owner: 'octo-owner' });
  expect(new URL(page.url()).searchParams.get('owner')).toBe('octo-owner');
  expect(await grantNames(page)).toEqual(['owner-automation']);
  await filterGrants(page, { owner: '', permission: 'organization_administration' });
  expect(new URL(page.url()).searchParams.get('permission')).toBe('organization_administration');
  expect(new URL(page.url()).searchParams.has('owner') && new URL(page.url()).searchParams.get('owner') !== '').toBe(false);
  expect(await grantNames(page)).toEqual(['owner-automation']);
  await page.goto(`${activeTokensPath(ORG)}?owner=mona`);
  expect((await grantNames(page)).sort()).toEqual(['infra-reader', 'race-bot']);

  await page.goto(activeTokensPath(ORG));
  await page.getByRole('checkbox', { name: 'Select infra-reader', exact: true }).check();
  await page.getByRole('checkbox', { name: 'Select ci-reader', exact: true }).check();
  await page.getByRole('button', { name: 'Revoke selected', exact: true }).click();
  await confirmAction(page, 'Revoke selected tokens');
  await expect(flash(page)).toHaveText('Revoked 2 tokens.');
  expect(await grantNames(page)).toEqual(['race-bot', 'owner-automation']);

  await page.getByRole('checkbox', { name: 'Select race-bot', exact: true }).check();
  await page.getByRole('checkbox', { name: 'Select owner-automation', exact: true }).check();
  await page.getByRole('button', { name: 'Revoke selected', exact: true }).click();
  await confirmAction(page, 'Revoke selected tokens');
  await expect(flash(page)).toHaveText('Revoked 2 tokens.');
  await expect(page.getByRole('table')).toHaveCount(0);
  await expect(page.getByRole('main')).toContainText('No active tokens');
});

test('the audit log records each request, decision and revocation once', async ({ page }) => {
  test.slow();
  await signIn(page, 'octo-owner');
  const expectOnce = async (action: string, names: string[], actor: string, extra?: Record<string, string>) => {
    const rows = await auditLog(page, ORG, action);
    const dump = JSON.stringify(rows, null, 1);
    for (const r of rows) expect(r.action).toBe(action);
    // No event is written twice.
    const details = rows.map((r) => r.details);
    expect(new Set(details).size, `duplicate ${action} events: ${dump}`).toBe(details.length);
    for (const name of names) {
      const mine = rows.filter((r) => r.details.includes(`“${name}”`));
      expect(mine, `${action} for ${name}: ${dump}`).toHaveLength(1);
      expect(mine[0].actor).toContain(actor);
      if (extra?.[name]) expect(mine[0].details).toContain(extra[name]);
    }
    return rows;
  };
  const created = await expectOnce('personal_access_token.request_created', ['web-deployer', 'infra-reader', 'api-issues', 'race-bot'], 'mona');
  expect(created.find((r) => r.details.includes('“hubot-members”'))?.actor).toContain('hubot');
  expect(created.find((r) => r.details.includes('“web-deployer”'))?.details).toContain('Token “web-deployer” of mona on octo-org');
  await expectOnce('personal_access_token.access_granted', ['deploy-bot', 'infra-reader', 'ci-reader', 'race-bot'], 'octo-owner');
  const denied = await expectOnce('personal_access_token.request_denied', ['web-deployer', 'api-issues', 'hubot-members'], 'octo-owner', {
    'web-deployer': 'reason: Use the deploy app instead',
    'api-issues': 'reason: Too broad',
    'hubot-members': 'reason: Too broad',
  });
  // race-bot's stale bulk denial changed nothing.
  expect(denied.filter((r) => r.details.includes('“race-bot”'))).toHaveLength(0);
  await expectOnce('personal_access_token.access_revoked', ['deploy-bot', 'infra-reader', 'ci-reader', 'race-bot', 'owner-automation'], 'octo-owner');
  await expectOnce('personal_access_token.request_cancelled', [], 'mona');

  // Unfiltered: each decision event appears once among all events too, newest first.
  const all = await auditLog(page, ORG);
  const revokedIdx = all.findIndex((r) => r.action === 'personal_access_token.access_revoked' && r.details.includes('“deploy-bot”'));
  const grantedIdx = all.findIndex((r) => r.action === 'personal_access_token.access_granted' && r.details.includes('“deploy-bot”'));
  expect(revokedIdx, JSON.stringify(all.map((r) => r.action))).toBeGreaterThanOrEqual(0);
  expect(grantedIdx).toBeGreaterThan(revokedIdx);
});
