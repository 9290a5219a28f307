// GitHub's own JavaScript client, Octokit, pointed at this server's API works as
// it does against GitHub Enterprise Server: it creates an issue with labels and
// assignees, sends array filters comma-joined, lists an organization's
// repositories with type and sort, and reads the account and the server's version.
import { Octokit } from '@octokit/rest';
import { expect, test } from '@playwright/test';
import { useFreshServer } from '../server';
import { REPO_ACCESS, createFineGrainedToken, signIn } from '../helpers';

const srv = useFreshServer();
test.describe.configure({ mode: 'serial' });

const ORG = 'octo-org';
let octokit: Octokit;

test.beforeAll(async ({ browser }) => {
  const page = await browser.newPage({ baseURL: srv.url('/') });
  await signIn(page, 'octo-owner');
  const { secret } = await createFineGrainedToken(page, {
    name: 'octokit', owner: ORG, justification: 'Octokit check', selection: REPO_ACCESS.all,
    permissions: { Issues: 'Read and write', 'Organization administration': 'Read and write' },
  });
  await page.close();
  octokit = new Octokit({ auth: secret, baseUrl: srv.url('/api/v3') });
});

test('issues.create takes labels and assignees and answers them', async () => {
  const { status, data, headers } = await octokit.rest.issues.create({
    owner: ORG, repo: 'octo-api', title: 'Found a bug', body: 'It breaks.', labels: ['bug', { name: 'triage', color: 'fbca04' }],
    assignees: ['mona'],
  });
  expect(status).toBe(201);
  expect(data.labels.map((l) => (typeof l === 'string' ? l : l.name))).toEqual(['bug', 'triage']);
  expect(data.assignees?.map((u) => u.login)).toEqual(['mona']);
  expect(headers['x-github-request-id']).toBeTruthy();
});

test('array filters go comma-joined and are understood', async () => {
  const { data } = await octokit.request('GET /orgs/{org}/personal-access-token-requests', { org: ORG, owner: ['mona', 'hubot'] });
  expect(data.map((r) => r.token_name).sort()).toEqual(['ci-reader', 'deploy-bot']);
  const tokens = await octokit.request('GET /orgs/{org}/personal-access-tokens', { org: ORG, owner: ['octo-owner', 'nobody'] });
  expect(tokens.data.map((t) => t.token_name)).toContain('octokit');
});

test('repos.listForOrg honours type, sort and direction', async () => {
  const { data } = await octokit.rest.repos.listForOrg({ org: ORG, type: 'private', sort: 'full_name' });
  expect(data.map((r) => r.name)).toEqual(['octo-api', 'octo-infra']);
  const desc = await octokit.rest.repos.listForOrg({ org: ORG, sort: 'full_name', direction: 'desc' });
  expect(desc.data.map((r) => r.name)).toEqual(['octo-web', 'octo-infra', 'octo-api']);
});

test('the account, a repository and the server version read as on GitHub Enterprise Server', async () => {
  const me = await octokit.rest.users.getAuthenticated();
  expect(me.data.login).toBe('octo-owner');
  expect(me.data.created_at).toMatch(/^\d{4}-\d\d-\d\dT/);
  const repo = await octokit.rest.repos.get({ owner: ORG, repo: 'octo-web' });
  expect(repo.data.default_branch).toBe('main');
  expect(repo.data.clone_url).toBe(srv.url(`/${ORG}/octo-web.git`));
  const meta = await octokit.request('GET /meta');
  expect(meta.headers['x-github-enterprise-version']).toBeTruthy();
  expect((meta.data as { installed_version?: string }).installed_version).toBe(meta.headers['x-github-enterprise-version']);
});
