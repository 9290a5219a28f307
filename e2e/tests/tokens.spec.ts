// Developer settings: a member's own fine-grained and classic tokens.
// mona requests a token for octo-org, sees it pending and its secret once;
// classic tokens; user text shown as text; cancelling and deleting.
import { expect, test } from '@playwright/test';
import { useFreshServer } from '../server';
import {
  signedInPages,
  LIFETIME,
  REPO_ACCESS,
  auditLog,
  patSettingsPath,
  saveAndExpectSaved,
  classicTokensPath,
  createClassicToken,
  createFineGrainedToken,
  devTokensPath,
  expectTokenStatus,
  fillFineGrainedForm,
  flash,
  grantRow,
  group,
  openUserMenu,
  queuePath,
  radio,
  readNotifications,
  signIn,
  statusOf,
  tokenListItem,
  confirmAction,
} from '../helpers';

// Tests run in order on one server but do not depend on each other: a failure
// does not skip the rest (a new worker gets a fresh server).
const srv = useFreshServer();

const signedInPage = signedInPages(srv);

test('Developer settings, from the user menu, lists the demo request as Pending', async ({ page }) => {
  await signIn(page, 'mona');
  await openUserMenu(page);
  await page.getByRole('link', { name: 'Developer settings', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`${devTokensPath}$`));
  await expect(page.getByRole('heading', { name: 'Fine-grained personal access tokens', exact: true })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Generate new token', exact: true })).toHaveAttribute('href', `${devTokensPath}/new`);
  await expectTokenStatus(page, 'deploy-bot', 'Pending');
  await expect(tokenListItem(page, 'deploy-bot')).toContainText('octo-org');
  // Only mona's tokens: not hubot's request, not the owner's token.
  await expect(page.getByRole('link', { name: 'ci-reader', exact: true })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'owner-automation', exact: true })).toHaveCount(0);

  await page.getByRole('link', { name: 'deploy-bot', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'deploy-bot', exact: true, level: 1 })).toBeVisible();
  await expect(page.getByRole('main')).toContainText('pending approval');
  await expect(page.getByRole('main')).toContainText('Deploys the API');
  await expect(page.getByRole('main')).toContainText('octo-api');
  await expect(page.getByRole('main')).toContainText('Contents: Read-only');
  // The secret of a token is never shown again after its creation.
  await expect(page.getByRole('textbox', { name: 'New token', exact: true })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Cancel request', exact: true })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Delete', exact: true })).toBeVisible();
});

test('new token form: defaults and choices', async ({ page }) => {
  await signIn(page, 'mona');
  await page.goto(devTokensPath);
  await page.getByRole('link', { name: 'Generate new token', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`${devTokensPath}/new$`));
  const expiration = page.getByRole('combobox', { name: 'Expiration', exact: true });
  await expect(expiration.getByRole('option')).toHaveText(['7 days', '30 days', '60 days', '90 days', '366 days', 'No expiration']);
  await expect(expiration.locator('option:checked')).toHaveText('30 days');
  const owner = page.getByRole('combobox', { name: 'Resource owner', exact: true });
  // mona herself and octo-org; solo-org has not opted in to fine-grained tokens.
  await expect(owner.getByRole('option')).toHaveText(['mona', 'octo-org']);
  await expect(owner).toHaveValue('@me');
  await expect(radio(page, REPO_ACCESS.legend, REPO_ACCESS.public)).toBeChecked();
  await expect(radio(page, REPO_ACCESS.legend, REPO_ACCESS.all)).not.toBeChecked();
  await expect(radio(page, REPO_ACCESS.legend, REPO_ACCESS.selected)).not.toBeChecked();
  const repoPerms = group(page, 'Repository permissions');
  for (const p of ['Contents', 'Issues', 'Metadata', 'Pull requests', 'Administration']) {
    const c = repoPerms.getByRole('combobox', { name: p, exact: true });
    await expect(c.getByRole('option')).toHaveText(['No access', 'Read-only', 'Read and write']);
    await expect(c.locator('option:checked')).toHaveText('No access');
  }
  const orgPerms = group(page, 'Organization permissions');
  for (const p of ['Members', 'Organization administration']) {
    await expect(orgPerms.getByRole('combobox', { name: p, exact: true }).locator('option:checked')).toHaveText('No access');
  }
  const sshKeys = group(page, 'Account permissions').getByRole('combobox', { name: 'Git SSH keys', exact: true });
  await expect(sshKeys.getByRole('option')).toHaveText(['No access', 'Read-only', 'Read and write']);
  await expect(sshKeys.locator('option:checked')).toHaveText('No access');
  // With JS, only the chosen owner's repositories show: mona has none, octo-org three.
  await expect(page.getByRole('checkbox', { name: 'octo-api', exact: true })).toBeHidden();
  await owner.selectOption('octo-org');
  for (const r of ['octo-web', 'octo-api', 'octo-infra']) {
    await expect(group(page, REPO_ACCESS.legend).getByRole('checkbox', { name: r, exact: true })).toBeVisible();
  }
  await expect(page.getByRole('checkbox', { name: 'solo-app', exact: true })).toHaveCount(0);
});

test('requesting a token for octo-org: without a justification it is refused (422) and every input is kept', async ({ page }) => {
  await signIn(page, 'mona');
  await page.goto(`${devTokensPath}/new`);
  await fillFineGrainedForm(page, {
    name: 'release-bot',
    expiration: '60 days',
    description: 'Cuts releases\nof the web app',
    owner: 'octo-org',
    selection: REPO_ACCESS.selected,
    repos: ['octo-web', 'octo-api'],
    permissions: { Contents: 'Read and write', Issues: 'Read-only', Members: 'Read-only' },
  });
  const status = await statusOf(page, () => page.getByRole('button', { name: 'Generate token', exact: true }).click());
  expect(status).toBe(422);
  await expect(page).toHaveURL(new RegExp(`${devTokensPath}$`));
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('The token was not created.');
  await expect(alert).toContainText(/justification/i);
  // The field message is tied to the field.
  const justification = page.getByRole('textbox', { name: 'Justification', exact: true });
  await expect(justification).toHaveAccessibleDescription(/justification/i);
  // Every input kept.
  await expect(page.getByRole('textbox', { name: 'Token name', exact: true })).toHaveValue('release-bot');
  await expect(page.getByRole('combobox', { name: 'Expiration', exact: true }).locator('option:checked')).toHaveText('60 days');
  await expect(page.getByRole('textbox', { name: 'Description', exact: true })).toHaveValue('Cuts releases\nof the web app');
  await expect(page.getByRole('combobox', { name: 'Resource owner', exact: true })).toHaveValue('octo-org');
  await expect(radio(page, REPO_ACCESS.legend, REPO_ACCESS.selected)).toBeChecked();
  const repos = group(page, REPO_ACCESS.legend);
  await expect(repos.getByRole('checkbox', { name: 'octo-web', exact: true })).toBeChecked();
  await expect(repos.getByRole('checkbox', { name: 'octo-api', exact: true })).toBeChecked();
  await expect(repos.getByRole('checkbox', { name: 'octo-infra', exact: true })).not.toBeChecked();
  await expect(page.getByRole('combobox', { name: 'Contents', exact: true }).locator('option:checked')).toHaveText('Read and write');
  await expect(page.getByRole('combobox', { name: 'Issues', exact: true }).locator('option:checked')).toHaveText('Read-only');
  await expect(page.getByRole('combobox', { name: 'Members', exact: true }).locator('option:checked')).toHaveText('Read-only');
  await expect(page.getByRole('combobox', { name: 'Pull requests', exact: true }).locator('option:checked')).toHaveText('No access');

  // Nothing was created.
  await page.goto(devTokensPath);
  await expect(page.getByRole('link', { name: 'release-bot', exact: true })).toHaveCount(0);
});

test('requesting a token for octo-org: Pending, with the token shown once', async ({ page, browser }) => {
  await signIn(page, 'mona');
  const created = await createFineGrainedToken(page, {
    name: 'release-bot',
    expiration: '60 days',
    description: 'Cuts releases',
    owner: 'octo-org',
    justification: 'Release automation for octo-web',
    selection: REPO_ACCESS.selected,
    repos: ['octo-web', 'octo-api'],
    permissions: { Contents: 'Read and write', Issues: 'Read-only' },
  });
  // Fine-grained format: github_pat_ + 22 + _ + 59.
  expect(created.secret).toMatch(/^github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}$/);
  const main = page.getByRole('main');
  await expect(main).toContainText('pending approval');
  await expect(main).toContainText('Pending');
  await expect(main).toContainText('Release automation for octo-web');
  await expect(main).toContainText('octo-web');
  await expect(main).toContainText('Contents: Read and write');
  await expect(main).toContainText('Issues: Read-only');
  await expect(page.getByRole('button', { name: 'Cancel request', exact: true })).toBeVisible();

  // Shown once: a reload, or coming back, no longer shows it.
  await page.reload();
  await expect(page.getByRole('heading', { name: 'release-bot', exact: true, level: 1 })).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'New token', exact: true })).toHaveCount(0);
  await expect(main).not.toContainText(created.secret);
  await expect(main).toContainText('pending approval');
  await page.goto(devTokensPath);
  await expectTokenStatus(page, 'release-bot', 'Pending');
  await page.goto(created.path);
  await expect(page.getByRole('textbox', { name: 'New token', exact: true })).toHaveCount(0);
  expect(await page.content()).not.toContain(created.secret);

  // octo-org's owner sees the request in the queue and is notified.
  const owner = await signedInPage(browser, 'octo-owner');
  await owner.goto(queuePath('octo-org'));
  await expect(grantRow(owner, 'release-bot')).toContainText('mona');
  await owner.goto('/notifications');
  expect(await readNotifications(owner)).toContainEqual(expect.stringContaining('mona requests access to octo-org with token “release-bot”.'));
  await owner.context().close();
});

test('a name already used is refused (422), the form kept', async ({ page }) => {
  await signIn(page, 'mona');
  await page.goto(`${devTokensPath}/new`);
  await fillFineGrainedForm(page, { name: 'deploy-bot', owner: 'octo-org', justification: 'again' });
  const status = await statusOf(page, () => page.getByRole('button', { name: 'Generate token', exact: true }).click());
  expect(status).toBe(422);
  await expect(page.getByRole('alert')).toContainText('The token was not created.');
  await expect(page.getByRole('alert')).toContainText('deploy-bot');
  await expect(page.getByRole('textbox', { name: 'Justification', exact: true })).toHaveValue('again');
  await expect(page.getByRole('textbox', { name: 'Token name', exact: true })).toHaveAccessibleDescription(/deploy-bot/);
});

test('a token for the user\'s own account needs no approval: Active at once', async ({ page }) => {
  await signIn(page, 'mona');
  await createFineGrainedToken(page, { name: 'my-public-reader', expiration: '7 days' });
  const main = page.getByRole('main');
  await expect(main).toContainText('Active');
  await expect(main).not.toContainText('pending approval');
  await expect(page.getByRole('button', { name: 'Cancel request', exact: true })).toHaveCount(0);
  await page.goto(devTokensPath);
  await expectTokenStatus(page, 'my-public-reader', 'Active');
});

test('an owner\'s token for their own organization needs no approval', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await createFineGrainedToken(page, {
    name: 'owner-reader', owner: 'octo-org', selection: REPO_ACCESS.all, permissions: { Metadata: 'Read-only' },
  });
  await expect(page.getByRole('main')).not.toContainText('pending approval');
  await page.goto(devTokensPath);
  await expectTokenStatus(page, 'owner-reader', 'Active');
  await page.goto(queuePath('octo-org'));
  await expect(page.getByRole('link', { name: 'owner-reader', exact: true })).toHaveCount(0);
});

test('a classic token: 422 without a note, then shown once', async ({ page }) => {
  await signIn(page, 'mona');
  await page.goto(devTokensPath);
  await page.getByRole('navigation', { name: 'Developer settings', exact: true })
    .getByRole('link', { name: 'Tokens (classic)', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`${classicTokensPath}$`));
  await expect(page.getByRole('heading', { name: 'Personal access tokens (classic)', exact: true })).toBeVisible();
  await page.getByRole('link', { name: 'Generate new token', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`${classicTokensPath}/new$`));
  for (const s of ['repo', 'read:org', 'admin:org', 'workflow', 'user', 'admin:enterprise',
    'admin:public_key', 'write:public_key', 'read:public_key']) {
    await expect(page.getByRole('checkbox', { name: s, exact: true })).not.toBeChecked();
  }
  await expect(page.getByRole('combobox', { name: 'Expiration', exact: true }).locator('option:checked')).toHaveText('30 days');

  // No note: 422, choices kept.
  await page.getByRole('combobox', { name: 'Expiration', exact: true }).selectOption({ label: '90 days' });
  await page.getByRole('checkbox', { name: 'repo', exact: true }).check();
  await page.getByRole('checkbox', { name: 'read:org', exact: true }).check();
  const status = await statusOf(page, () => page.getByRole('button', { name: 'Generate token', exact: true }).click());
  expect(status).toBe(422);
  await expect(page.getByRole('alert')).toContainText('The token was not created.');
  await expect(page.getByRole('checkbox', { name: 'repo', exact: true })).toBeChecked();
  await expect(page.getByRole('checkbox', { name: 'read:org', exact: true })).toBeChecked();
  await expect(page.getByRole('checkbox', { name: 'user', exact: true })).not.toBeChecked();
  await expect(page.getByRole('combobox', { name: 'Expiration', exact: true }).locator('option:checked')).toHaveText('90 days');

  await page.getByRole('textbox', { name: 'Note', exact: true }).fill('laptop git');
  await page.getByRole('button', { name: 'Generate token', exact: true }).click();
  await expect(page).toHaveURL(/\/settings\/tokens\/\d+$/);
  const box = page.getByRole('textbox', { name: 'New token', exact: true });
  await expect(box).not.toBeEditable();
  const secret = await box.inputValue();
  expect(secret).toMatch(/^ghp_[A-Za-z0-9]{36}$/);
  expect(secret).toHaveLength(40);
  await expect(page.getByRole('main')).toContainText('repo');
  await expect(page.getByRole('main')).toContainText('read:org');

  await page.reload();
  await expect(page.getByRole('textbox', { name: 'New token', exact: true })).toHaveCount(0);
  expect(await page.content()).not.toContain(secret);
  await page.goto(classicTokensPath);
  await expectTokenStatus(page, 'laptop git', 'Active');
  // Classic tokens are not on the fine-grained list, and the reverse.
  await expect(page.getByRole('link', { name: 'deploy-bot', exact: true })).toHaveCount(0);
  await page.goto(devTokensPath);
  await expect(page.getByRole('link', { name: 'laptop git', exact: true })).toHaveCount(0);
});

test('createClassicToken helper: a classic token with scopes, shown once', async ({ page }) => {
  await signIn(page, 'hubot');
  const t = await createClassicToken(page, { note: 'ci', expiration: '7 days', scopes: ['repo', 'workflow'] });
  expect(t.secret).toMatch(/^ghp_[A-Za-z0-9]{36}$/);
  await page.goto(t.path);
  await expect(page.getByRole('textbox', { name: 'New token', exact: true })).toHaveCount(0);
});

test('user text (<b>x</b>) in name, description, justification and reason is shown as text everywhere', async ({ page, browser }) => {
  test.slow(); // two browser contexts on a loaded machine
  const name = '<b>x</b>';
  const description = '<i>desc</i><script>window.__pwned = 1</script>';
  const justification = '<img src=x onerror="window.__pwned = 1">why';
  const reason = '<u>no</u> & "never"';
  await signIn(page, 'mona');
  const created = await createFineGrainedToken(page, {
    name, description, justification, owner: 'octo-org', selection: REPO_ACCESS.all, permissions: { Issues: 'Read-only' },
  });
  const main = page.getByRole('main');
  await expect(page.getByRole('heading', { name, exact: true, level: 1 })).toBeVisible();
  await expect(main.getByText(description, { exact: true })).toBeVisible();
  await expect(main.getByText(justification, { exact: true })).toBeVisible();
  await expect(main.locator('b, i, img, script:not([src])')).toHaveCount(0);
  expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
  await page.goto(devTokensPath);
  await expect(page.getByRole('link', { name, exact: true })).toBeVisible();
  await expect(main.locator('b')).toHaveCount(0);

  const owner = await signedInPage(browser, 'octo-owner');
  await owner.goto(queuePath('octo-org'));
  const row = grantRow(owner, name);
  await expect(row).toHaveCount(1);
  await expect(row).toContainText(justification);
  await expect(owner.getByRole('checkbox', { name: `Select ${name}`, exact: true })).toBeVisible();
  await expect(owner.getByRole('main').locator('b, img')).toHaveCount(0);
  await owner.goto('/notifications');
  expect(await readNotifications(owner)).toContainEqual(expect.stringContaining(`with token “${name}”.`));
  await expect(owner.getByRole('main').locator('b')).toHaveCount(0);
  await owner.goto(queuePath('octo-org'));
  await row.getByRole('link', { name, exact: true }).click();
  await expect(owner.getByRole('heading', { name, exact: true, level: 1 })).toBeVisible();
  await expect(owner.getByRole('main')).toContainText(justification);
  await owner.getByRole('button', { name: 'Deny', exact: true }).click();
  await expect(owner.getByRole('heading', { level: 1 })).toHaveText(`Deny ${name}`);
  await owner.getByRole('textbox', { name: 'Reason', exact: true }).fill(reason);
  await owner.getByRole('button', { name: 'Deny request', exact: true }).click();
  await expect(flash(owner)).toHaveText(`Denied “${name}”.`);
  expect(await owner.evaluate(() => (window as any).__pwned)).toBeUndefined();
  const audit = await auditLog(owner, 'octo-org', 'personal_access_token.request_denied');
  expect(audit.map((r) => r.details)).toContainEqual(expect.stringContaining(`Token “${name}” of mona on octo-org`));
  expect(audit.map((r) => r.details)).toContainEqual(expect.stringContaining(reason));
  await expect(owner.getByRole('main').locator('b, u')).toHaveCount(0);
  await owner.context().close();

  await page.goto(created.path);
  await expect(main).toContainText(`Reason: ${reason}`);
  await expect(main.locator('u')).toHaveCount(0);
  await page.goto('/notifications');
  expect(await readNotifications(page)).toContainEqual(expect.stringContaining(
    `Your request for token “${name}” was denied by octo-org. Reason: ${reason}`));
  await expect(page.getByRole('main').locator('b, u')).toHaveCount(0);
});

test('cancelling a pending request removes it from the queue, audited', async ({ page, browser }) => {
  test.slow(); // two browser contexts on a loaded machine
  await signIn(page, 'mona');
  await createFineGrainedToken(page, { name: 'short-lived', owner: 'octo-org', justification: 'one-off fix', permissions: { Issues: 'Read and write' }, selection: REPO_ACCESS.all });
  const owner = await signedInPage(browser, 'octo-owner');
  await owner.goto(queuePath('octo-org'));
  await expect(grantRow(owner, 'short-lived')).toHaveCount(1);

  await page.reload();
  await page.getByRole('button', { name: 'Cancel request', exact: true }).click();
  await confirmAction(page, 'Cancel request');
  await expect(page).toHaveURL(new RegExp(`${devTokensPath}$`));
  await expect(flash(page)).toHaveText('Request for “short-lived” cancelled.');
  await expect(page.getByRole('link', { name: 'short-lived', exact: true })).toHaveCount(0);

  await owner.reload();
  await expect(owner.getByRole('link', { name: 'short-lived', exact: true })).toHaveCount(0);
  const rows = await auditLog(owner, 'octo-org', 'personal_access_token.request_cancelled');
  const mine = rows.filter((r) => r.details.includes('“short-lived”'));
  expect(mine, JSON.stringify(rows, null, 1)).toHaveLength(1);
  expect(mine[0].actor).toContain('mona');
  await owner.context().close();
});

test('an owner approving a request its requester has just cancelled gets 409 "no longer pending"', async ({ page, browser }) => {
  test.slow(); // two browser contexts on a loaded machine
  await signIn(page, 'mona');
  await createFineGrainedToken(page, { name: 'changed-my-mind', owner: 'octo-org', justification: 'maybe', selection: REPO_ACCESS.all, permissions: { Issues: 'Read-only' } });
  const owner = await signedInPage(browser, 'octo-owner');
  await owner.goto(queuePath('octo-org'));
  await owner.getByRole('link', { name: 'changed-my-mind', exact: true }).click();
  await expect(owner.getByRole('button', { name: 'Approve', exact: true })).toBeVisible();

  // mona cancels while the owner looks at the request.
  await page.reload();
  await page.getByRole('button', { name: 'Cancel request', exact: true }).click();
  await confirmAction(page, 'Cancel request');
  await expect(flash(page)).toHaveText('Request for “changed-my-mind” cancelled.');

  try {
    const status = await statusOf(owner, () => owner.getByRole('button', { name: 'Approve', exact: true }).click());
    expect(status).toBe(409);
    await expect(owner.getByRole('main')).toContainText('no longer pending');
  } finally {
    await owner.context().close();
  }
});

test('an owner approving a cancelled request does not make it active', async ({ page, browser }) => {
  test.slow(); // two browser contexts on a loaded machine
  // Whatever the status code, the cancelled request must stay gone.
  await signIn(page, 'mona');
  await createFineGrainedToken(page, { name: 'gone-bot', owner: 'octo-org', justification: 'maybe', selection: REPO_ACCESS.all, permissions: { Issues: 'Read-only' } });
  const owner = await signedInPage(browser, 'octo-owner');
  await owner.goto(queuePath('octo-org'));
  await owner.getByRole('link', { name: 'gone-bot', exact: true }).click();
  await page.reload();
  await page.getByRole('button', { name: 'Cancel request', exact: true }).click();
  await confirmAction(page, 'Cancel request');
  await expect(flash(page)).toContainText('cancelled');
  const status = await statusOf(owner, () => owner.getByRole('button', { name: 'Approve', exact: true }).click());
  expect(status).toBeGreaterThanOrEqual(400);
  await owner.goto('/organizations/octo-org/settings/personal-access-tokens/active');
  await expect(owner.getByRole('link', { name: 'gone-bot', exact: true })).toHaveCount(0);
  const granted = await auditLog(owner, 'octo-org', 'personal_access_token.access_granted');
  expect(granted.filter((r) => r.details.includes('“gone-bot”'))).toHaveLength(0);
  await owner.context().close();
});

test('deleting a token: gone from the list, its page 404', async ({ page, browser }) => {
  await signIn(page, 'mona');
  const t = await createFineGrainedToken(page, { name: 'throwaway' });
  await page.reload();
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await confirmAction(page, 'Delete token');
  await expect(page).toHaveURL(new RegExp(`${devTokensPath}$`));
  await expect(flash(page)).toContainText('“throwaway” deleted');
  await expect(page.getByRole('link', { name: 'throwaway', exact: true })).toHaveCount(0);
  const res = await page.goto(t.path);
  expect(res?.status()).toBe(404);

  // Another user's token page is 404 too (mona's deploy-bot, seen by hubot).
  await page.goto(devTokensPath);
  const href = await page.getByRole('link', { name: 'deploy-bot', exact: true }).getAttribute('href');
  const hubot = await signedInPage(browser, 'hubot');
  expect((await hubot.goto(href!))?.status()).toBe(404);
  await hubot.context().close();
});

test('an expiration beyond octo-org\'s maximum lifetime is refused, naming the limit', async ({ page, browser }) => {
  test.slow();
  const owner = await signedInPage(browser, 'octo-owner');
  const setLimit = async (days: number | null) => {
    await owner.goto(patSettingsPath('octo-org'));
    const expire = group(owner, LIFETIME.legend).getByRole('checkbox', { name: LIFETIME.fgExpire, exact: true });
    if (days === null) {
      await expire.uncheck();
    } else {
      await expire.check();
      await group(owner, LIFETIME.legend).getByRole('spinbutton', { name: LIFETIME.fgDays, exact: true }).fill(String(days));
    }
    await saveAndExpectSaved(owner);
  };
  await setLimit(30);
  try {
    await signIn(page, 'mona');
    await page.goto(`${devTokensPath}/new`);
    await expect(page.getByRole('combobox', { name: 'Resource owner', exact: true })).toHaveAccessibleDescription(/30 days/);
    for (const expiration of ['60 days', 'No expiration']) {
      await page.goto(`${devTokensPath}/new`);
      await fillFineGrainedForm(page, { name: 'long-lived', owner: 'octo-org', justification: 'Long job', expiration });
      // The form no longer offers it for octo-org...
      const select = page.getByRole('combobox', { name: 'Expiration', exact: true });
      await expect(select.getByRole('option', { name: expiration, exact: true })).toBeDisabled();
      // ...and the server refuses it all the same when a crafted form sends it.
      await select.evaluate((s: HTMLSelectElement, label) => {
        for (const o of Array.from(s.options)) if (o.text === label) { o.disabled = false; o.selected = true; }
      }, expiration);
      expect(await statusOf(page, () => page.getByRole('button', { name: 'Generate token', exact: true }).click()), expiration).toBe(422);
      await expect(page.getByRole('alert')).toContainText('30 days');
      await expect(page.getByRole('combobox', { name: 'Expiration', exact: true }).locator('option:checked')).toHaveText(expiration);
    }
    // Within the limit, and for mona's own account (no organization limit), it works.
    await page.getByRole('combobox', { name: 'Expiration', exact: true }).selectOption({ label: '7 days' });
    await page.getByRole('button', { name: 'Generate token', exact: true }).click();
    await expect(page.getByRole('textbox', { name: 'New token', exact: true })).toBeVisible();
    await createFineGrainedToken(page, { name: 'long-lived-own', expiration: 'No expiration' });
    await expect(page.getByRole('main')).toContainText('Never expires');
  } finally {
    await setLimit(null);
    await owner.context().close();
  }
});

test('a deleted token leaves the organization\'s lists: approved from Active tokens, pending from the queue', async ({ page, browser }) => {
  test.slow();
  await signIn(page, 'mona');
  const approved = await createFineGrainedToken(page, { name: 'to-delete-active', owner: 'octo-org', justification: 'soon gone', selection: REPO_ACCESS.all, permissions: { Issues: 'Read-only' } });
  const pending = await createFineGrainedToken(page, { name: 'to-delete-pending', owner: 'octo-org', justification: 'soon gone too', selection: REPO_ACCESS.all, permissions: { Issues: 'Read-only' } });
  const owner = await signedInPage(browser, 'octo-owner');
  try {
    await owner.goto(queuePath('octo-org'));
    await owner.getByRole('checkbox', { name: 'Select to-delete-active', exact: true }).check();
    await owner.getByRole('button', { name: 'Approve selected', exact: true }).click();
    await confirmAction(owner, 'Approve selected requests');
    await expect(flash(owner)).toHaveText('Approved “to-delete-active”.');
    await owner.goto('/organizations/octo-org/settings/personal-access-tokens/active');
    await expect(grantRow(owner, 'to-delete-active')).toHaveCount(1);

    for (const t of [approved, pending]) {
      await page.goto(t.path);
      await page.getByRole('button', { name: 'Delete', exact: true }).click();
      await confirmAction(page, 'Delete token');
      await expect(flash(page)).toContainText('deleted');
    }
    await owner.reload();
    await expect(owner.getByRole('link', { name: 'to-delete-active', exact: true })).toHaveCount(0);
    await owner.goto(queuePath('octo-org'));
    await expect(owner.getByRole('link', { name: 'to-delete-pending', exact: true })).toHaveCount(0);
  } finally {
    await owner.context().close();
  }
});

test('"Mark all as read" leaves unread what arrived after the page was shown', async ({ page, browser }) => {
  test.slow();
  await signIn(page, 'octo-owner');
  await page.goto('/notifications');
  await expect(page.getByRole('button', { name: 'Mark all as read', exact: true })).toBeVisible();
  // A request arrives while the owner reads.
  const mona = await signedInPage(browser, 'mona');
  await createFineGrainedToken(mona, { name: 'late-arrival', owner: 'octo-org', justification: 'now', selection: REPO_ACCESS.all, permissions: { Issues: 'Read-only' } });
  await mona.context().close();
  await page.getByRole('button', { name: 'Mark all as read', exact: true }).click();
  await expect(page).toHaveURL(/\/notifications$/);
  await expect(page.getByRole('banner').getByRole('link', { name: 'Notifications (1 unread)', exact: true })).toBeVisible();
  const notes = await readNotifications(page);
  expect(notes[0]).toContain('“late-arrival”');
  expect(notes[0]).toContain('Unread');
  for (const n of notes.slice(1)) expect(n).not.toContain('Unread');
});
