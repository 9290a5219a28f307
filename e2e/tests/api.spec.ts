// The screens decide what a token may do through the REST API (docs/policy.md): a member's
// request is refused until the owner approves it in the browser, the Active tokens
// page shows the call as the token's last use, restricting and allowing again in the
// settings page takes effect on the very next call, and a revocation is for good.
// The tests build on each other, in order, on this file's own server.
import { APIRequestContext, expect, request, test } from '@playwright/test';
import { useFreshServer } from '../server';
import {
  FG,
  REPO_ACCESS,
  activeTokensPath,
  createFineGrainedToken,
  grantRow,
  patSettingsPath,
  queuePath,
  radio,
  saveAndExpectSaved,
  signIn,
  signedInPages,
  confirmAction,
} from '../helpers';

const srv = useFreshServer();
test.describe.configure({ mode: 'serial' });

const ORG = 'octo-org';
const REPO = `/api/v3/repos/${ORG}/octo-api`;
const signedInPage = signedInPages(srv);

let secret = '';
let api: APIRequestContext;

test.beforeAll(async () => {
  api = await request.newContext();
});
test.afterAll(async () => {
  await api.dispose();
});

/** Calls the API with the member's token and returns the status and message. */
async function call(path = REPO, token = secret) {
  const res = await api.get(srv.url(path), { headers: { Authorization: `Bearer ${token}` } });
  expect(res.headers()['content-type']).toBe('application/json; charset=utf-8');
  const body = await res.json();
  return { status: res.status(), body };
}

test('a pending request is refused until the owner approves it in the browser', async ({ page, browser }) => {
  await signIn(page, 'mona');
  ({ secret } = await createFineGrainedToken(page, {
    name: 'api-reader', owner: ORG, justification: 'Reads the API repository',
    selection: REPO_ACCESS.selected, repos: ['octo-api'], permissions: { Contents: 'Read-only' },
  }));
  expect(secret).toMatch(/^github_pat_/);

  let r = await call();
  expect(r.status).toBe(403);
  expect(r.body.message).toContain("waiting for an owner's approval");
  // Public resources answer any valid token.
  expect((await call(`/api/v3/repos/${ORG}/octo-web`)).status).toBe(200);

  const owner = await signedInPage(browser, 'octo-owner');
  await owner.goto(queuePath(ORG));
  await grantRow(owner, 'api-reader').getByRole('link', { name: 'api-reader', exact: true }).click();
  await owner.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(owner).toHaveURL(new RegExp(`${queuePath(ORG)}$`));

  r = await call();
  expect(r.status).toBe(200);
  expect(r.body.full_name).toBe(`${ORG}/octo-api`);
  expect(r.body.private).toBe(true);
  // Outside the token's selection, a private repository does not exist.
  expect((await call(`/api/v3/repos/${ORG}/octo-infra`)).status).toBe(404);
});

test('the Active tokens page shows the last use', async ({ browser }) => {
  const owner = await signedInPage(browser, 'octo-owner');
  await owner.goto(activeTokensPath(ORG));
  await grantRow(owner, 'api-reader').getByRole('link', { name: 'api-reader', exact: true }).click();
  // Last uses are written down every few seconds.
  await expect(async () => {
    await owner.reload();
    await expect(owner.getByRole('main')).toContainText(/Last used (just now|\d+ (second|minute)s? ago)/, { timeout: 1000 });
  }).toPass({ timeout: 15_000 });
});

test('restricting fine-grained tokens stops the next call; allowing again restores it', async ({ browser }) => {
  const owner = await signedInPage(browser, 'octo-owner');
  await owner.goto(patSettingsPath(ORG));
  await radio(owner, FG.legend, FG.restrict).check();
  await saveAndExpectSaved(owner);
  let r = await call();
  expect(r.status).toBe(403);
  expect(r.body.message).toContain(ORG);
  // Public reads still work.
  expect((await call(`/api/v3/repos/${ORG}/octo-web`)).status).toBe(200);

  await radio(owner, FG.legend, FG.allow).check();
  await saveAndExpectSaved(owner);
  r = await call();
  expect(r.status).toBe(200);
});

test('a revoked token never works on the organization again', async ({ browser }) => {
  const owner = await signedInPage(browser, 'octo-owner');
  await owner.goto(activeTokensPath(ORG));
  await grantRow(owner, 'api-reader').getByRole('link', { name: 'api-reader', exact: true }).click();
  await owner.getByRole('button', { name: 'Revoke', exact: true }).click();
  await confirmAction(owner, 'Revoke token');
  await expect(owner).toHaveURL(new RegExp(`${activeTokensPath(ORG)}$`));

  const r = await call();
  expect(r.status).toBe(403);
  expect(r.body.message).toContain('revoked');
  expect((await call(`/api/v3/repos/${ORG}/octo-web`)).status).toBe(200);
});

test('bad credentials are 401 without saying why', async () => {
  const bodies = new Set<string>();
  for (const token of ['nonsense', `github_pat_${'A'.repeat(22)}_${'b'.repeat(59)}`, 'ghp_' + 'x'.repeat(36)]) {
    const r = await call(`/api/v3/repos/${ORG}/octo-web`, token);
    expect(r.status).toBe(401);
    bodies.add(JSON.stringify(r.body));
  }
  expect([...bodies]).toHaveLength(1);
  expect(JSON.parse([...bodies][0]).message).toBe('Bad credentials');
});
