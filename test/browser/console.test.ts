/**
 * The web console in a real browser (Debian's chromium, headless) against the real stack on
 * the fake hypervisor: sign in with the admin token, create an instance, watch its saga
 * timeline reach ACTIVE, see its host's RAM bar move, delete it; validation messages at the
 * form's fields; a build with a spawn fault injected on every host shows its compensations
 * and its fault; the list at a phone's width. Screenshots go to dist/test-output/browser/
 * (docs/ keeps copies for the README).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HTTPResponse, Page } from 'puppeteer-core';
import { armFault, clearFaults, createInstance } from '../support/fault-cases.js';
import { DESKTOP, chromiumSkip, meter, PHONE, screenshot, texts, useBrowser } from '../support/browser.js';
import { waitBuildEnded } from '../support/instances.js';
import { createProject } from '../support/projects.js';
import type { TestStack } from '../support/stack.js';
import { useStack } from '../support/use-stack.js';
import { useTempDir } from '../support/temp-dir.js';

const HOSTS = ['node-1', 'node-2'];

/** Types the token with the keyboard only: Tab reaches the field, Enter submits. */
async function signIn(page: Page, stack: TestStack, token = stack.adminToken): Promise<void> {
  await page.goto(`${stack.apiUrl}/`, { waitUntil: 'networkidle0' });
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate('document.activeElement.id'), 'token', 'Tab reaches the token field first');
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
  await page.waitForSelector('nav[aria-label="Console"]');
}

/** Replaces a field's text as a user would: select all, then type (or delete). */
async function fill(page: Page, selector: string, value: string): Promise<void> {
  await page.focus(selector);
  await page.keyboard.down('Control');
  await page.keyboard.press('a');
  await page.keyboard.up('Control');
  await page.keyboard.press('Backspace');
  await page.type(selector, value);
}

/** The id of the instance the list shows under `name`. */
async function instanceIdOf(page: Page, name: string): Promise<string> {
  const row = await page.waitForSelector(`xpath///tr[th//a[text()="${name}"]]`);
  return (await row!.evaluate((el) => el.getAttribute('data-instance')))!;
}

/** Waits until the bar labelled `label` (e.g. 'node-1 RAM') shows `value`. */
async function waitMeter(page: Page, label: string, value: number): Promise<void> {
  const selector = `[role="meter"][aria-label="${label}"][aria-valuenow="${value}"]`;
  await page.waitForSelector(selector, { timeout: 30_000 });
}

async function waitStatus(page: Page, status: string, timeout = 60_000): Promise<void> {
  await page.waitForSelector(`h1 .status[data-status="${status}"]`, { timeout });
}

/** ElementHandle<HTMLInputElement>'s file upload (the DOM's types are not in the Node build). */
type FileInput = { uploadFile(...paths: string[]): Promise<void> };

const IMAGE_BYTES = 3 * 1024 * 1024 + 17;

describe('the web console', () => {
  const { stack } = useStack({ agents: HOSTS, env: { NIMBUS_HYPERVISOR_DELAY_MS: '300' } });

  it('is served at / beside the API, which is unchanged', async () => {
    const index = await fetch(`${stack.apiUrl}/`);
    assert.equal(index.status, 200, 'dist/console/index.html exists (npm run build builds the console)');
    assert.match(index.headers.get('content-type') ?? '', /text\/html/);
    const html = await index.text();
    assert.doesNotMatch(html, /https?:\/\//, 'no external CDN: every asset is served by Nimbus');
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(asset, html);
    assert.equal((await fetch(`${stack.apiUrl}${asset}`)).status, 200);
    assert.equal((await fetch(`${stack.apiUrl}/assets/nope.js`)).status, 404);
    assert.equal((await stack.api('GET', '/healthz', undefined, { token: null })).status, 200);
    assert.equal((await stack.api('GET', '/v1/instances', undefined, { token: null })).status, 401);
    assert.equal((await stack.api('GET', '/docs/openapi.json', undefined, { token: null })).status, 200);
    // The console polls with conditional GETs: an unchanged list is a 304.
    const listed = await stack.api('GET', '/v1/instances');
    const etag = listed.headers.get('etag');
    assert.ok(etag, 'GET /v1/instances has an ETag');
    const conditional = { 'if-none-match': etag, 'cache-control': 'max-age=0' };
    const again = await stack.api('GET', '/v1/instances', undefined, { headers: conditional });
    assert.equal(again.status, 304);
  });

  describe('in chromium', { skip: chromiumSkip }, () => {
    const { page } = useBrowser();
    let imageFile = '';
    useTempDir('nimbus-browser-', (dir) => {
      imageFile = path.join(dir, 'disk.img');
      writeFileSync(imageFile, randomBytes(IMAGE_BYTES));
    });

    it('signs in, builds an instance, follows its timeline to ACTIVE, sees the RAM bar move, deletes it', async () => {
      await signIn(page, stack);
      await page.goto(`${stack.apiUrl}/#/hosts`);
      await page.waitForSelector('[role="meter"][aria-label="node-1 RAM"]');
      assert.deepEqual(await Promise.all(HOSTS.map((h) => meter(page, `${h} RAM`))), [0, 0]);

      await page.goto(`${stack.apiUrl}/#/instances`);
      await fill(page, '#f-name', 'web-1');
      await page.select('#f-flavor', 'm1.small');
      await page.select('#f-volume', 'new');
      await fill(page, '#f-size', '1');
      await page.click('button[type="submit"]');
      const id = await instanceIdOf(page, 'web-1');

      await page.click(`a[href="#/instances/${id}"]`);
      await waitStatus(page, 'BUILD', 10_000);
      // Live: the page shows steps as they run, before the build has ended.
      await page.waitForSelector('.timeline .step');
      await waitStatus(page, 'ACTIVE');
      await page.waitForFunction("document.querySelectorAll('.timeline .step-running').length === 0");
      const steps = await page.$$eval('.timeline .step', (els) => els.map((e) => e.getAttribute('data-step')));
      for (const step of ['claim', 'pull_image', 'spawn', 'plug_vif', 'attach_volume']) {
        assert.ok(steps.includes(step), `the timeline has a bar for ${step}: ${steps.join(', ')}`);
      }
      const instance = await waitBuildEnded(stack, id);
      const hostTexts = await texts(page, '.timeline .step[data-step="spawn"] .step-host');
      assert.deepEqual(hostTexts, [instance.host], 'the spawn bar names the host');
      assert.match((await texts(page, '.attempts li')).join('\n'), new RegExp(`${instance.host}: claimed`));
      await page.click('button[aria-expanded="false"]');
      const marker = JSON.stringify(`NIMBUS-GUEST-READY instance=${id}`);
      await page.waitForFunction(`document.querySelector('pre.console')?.textContent.includes(${marker})`);
      const temporalLink = await page.$eval('a[href*="/workflows/instance-"]', (a) => a.getAttribute('href'));
      assert.ok(temporalLink!.endsWith(`/namespaces/default/workflows/instance-${id}`), temporalLink);
      await screenshot(page, 'console-timeline');

      await page.click('button[aria-label="Stop web-1"]');
      await waitStatus(page, 'SHUTOFF');
      await page.click('button[aria-label="Start web-1"]');
      await waitStatus(page, 'ACTIVE');
      await page.waitForSelector('h1 .status .task', { hidden: true });

      await page.goto(`${stack.apiUrl}/#/hosts`);
      await waitMeter(page, `${instance.host} RAM`, 2048);
      await page.waitForSelector(`[data-host="${instance.host}"] a[href="#/instances/${id}"]`);
      await screenshot(page, 'console-hosts');

      await page.goto(`${stack.apiUrl}/#/instances`);
      await page.waitForSelector(`tr[data-instance="${id}"] .status[data-status="ACTIVE"]`);
      await page.waitForSelector(`tr[data-instance="${id}"] code`);
      await screenshot(page, 'console-instances');
      // Nothing changes now: the list's polls are conditional GETs answered 304.
      const statuses: number[] = [];
      const onResponse = (r: HTTPResponse) => {
        if (r.url().endsWith('/v1/instances')) statuses.push(r.status());
      };
      page.on('response', onResponse);
      await sleep(3000);
      page.off('response', onResponse);
      assert.ok(statuses.length >= 2 && statuses.every((s) => s === 304), `polls answered ${statuses.join(', ')}`);

      await page.click(`button[aria-label="Delete web-1"]`);
      await stack.waitFor(
        async () => (await stack.api('GET', `/v1/instances/${id}`)).body.status === 'DELETED',
        60_000,
      );
      await page.waitForSelector(`tr[data-instance="${id}"]`, { hidden: true });
      await page.goto(`${stack.apiUrl}/#/hosts`);
      await waitMeter(page, `${instance.host} RAM`, 0);
    });

    it("shows the API's validation messages at the fields at fault", async () => {
      await page.goto(`${stack.apiUrl}/#/instances`);
      await fill(page, '#f-name', 'bad-volume');
      await page.select('#f-volume', 'new');
      await fill(page, '#f-size', '-3');
      await page.click('button[type="submit"]');
      await page.waitForSelector('#f-size[aria-invalid="true"]');
      assert.match((await texts(page, '#f-size-error'))[0], /\S/);
      assert.equal(await page.$('#f-name[aria-invalid="true"]'), null, 'the name was fine');

      await fill(page, '#f-name', '');
      await page.select('#f-volume', '');
      await page.click('button[type="submit"]');
      await page.waitForSelector('#f-name[aria-invalid="true"]');
      const described = await page.$eval('#f-name', (el) => el.getAttribute('aria-describedby'));
      assert.equal(described, 'f-name-error', 'the message is tied to its field for screen readers');
      const listed = await stack.api('GET', '/v1/instances');
      assert.equal(listed.body.filter((i: any) => i.status !== 'DELETED').length, 0, 'nothing was created');
    });

    it('a build with a spawn fault on every host shows its compensations in red and its fault', async () => {
      for (const host of HOSTS) await armFault(stack, host, 'spawn', 'error', 3);
      try {
        await page.goto(`${stack.apiUrl}/#/instances`);
        await fill(page, '#f-name', 'doomed');
        await page.select('#f-volume', '');
        await page.click('button[type="submit"]');
        const id = await instanceIdOf(page, 'doomed');
        await page.goto(`${stack.apiUrl}/#/instances/${id}`);
        await waitStatus(page, 'ERROR');
        await page.waitForSelector('.fault');
        const instance = await waitBuildEnded(stack, id);
        const fault = (await texts(page, '.fault'))[0];
        assert.ok(fault.includes(instance.fault.code), `${fault} names ${instance.fault.code}`);
        await page.waitForSelector('.timeline .step-undo');
        const undos = (await page.evaluate(`[...document.querySelectorAll('.timeline .step-undo')]
        .map((e) => [e.dataset.step, getComputedStyle(e.querySelector('.step-bar')).backgroundColor])`)) as string[][];
        assert.ok(undos.length > 0);
        for (const [, colour] of undos) assert.equal(colour, 'rgb(179, 38, 30)', 'compensations are drawn in red');
        const spawnFailures = await page.$$('.timeline .step[data-step="spawn"][data-outcome="failed"]');
        assert.ok(spawnFailures.length >= 2, 'each failed spawn has its bar');
        const attempts = await texts(page, '.attempts li');
        assert.ok(
          attempts.some((a) => /failed/.test(a)),
          attempts.join('\n'),
        );
        await screenshot(page, 'console-timeline-fault');
      } finally {
        for (const host of HOSTS) await clearFaults(stack, host);
      }
    });

    it('uploads an image with a progress bar', async () => {
      await page.goto(`${stack.apiUrl}/#/images`);
      await fill(page, '#i-name', 'uploaded');
      const input = await page.waitForSelector('#i-file');
      await (input as unknown as FileInput).uploadFile(imageFile);
      await page.click('button[type="submit"]');
      await page.waitForSelector('xpath///tr[th[text()="uploaded"]]//*[@data-status="active"]');
      const [max, value] = await page.$eval('#i-progress', (el) => [el.getAttribute('max'), el.getAttribute('value')]);
      assert.equal(Number(max), IMAGE_BYTES);
      assert.equal(Number(value), IMAGE_BYTES);
      const images = await stack.api('GET', '/v1/images');
      assert.equal(images.body.find((i: any) => i.name === 'uploaded').sizeBytes, IMAGE_BYTES);
    });

    it("a project's token sees its own instances only, and no hosts", async () => {
      const admins = await createInstance(stack, 'admins');
      const { token } = await createProject(stack, 'team-a');
      await page.click('button.link');
      await signIn(page, stack, token);
      await page.waitForSelector('xpath///h2[starts-with(text(), "Your instances")]');
      assert.deepEqual(await texts(page, 'nav a'), ['Instances', 'Networks', 'Volumes', 'Images']);
      assert.equal(await page.$(`tr[data-instance="${admins}"]`), null);
      const actions = await stack.api('GET', `/v1/instances/${admins}/actions`, undefined, { token });
      assert.equal(actions.status, 404, "another project's action log is not found");
      await page.goto(`${stack.apiUrl}/#/hosts`);
      await page.waitForSelector('xpath///p[contains(text(), "admin tokens only")]');
      await page.click('button.link');
      await signIn(page, stack);
    });

    it('works at a phone width: no sideways scrolling, every row readable', async () => {
      await page.setViewport(PHONE);
      try {
        const overflow = async () =>
          Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
        await page.goto(`${stack.apiUrl}/#/instances`);
        await page.waitForSelector('tr[data-instance]');
        assert.ok((await overflow()) <= 0, `the list is ${await overflow()}px wider than the phone`);
        await screenshot(page, 'console-instances-phone');
        // The failed build: the longest lines (fault, reasons) must wrap too.
        await page.click('xpath///tr[.//*[@data-status="ERROR"]]//th//a');
        await page.waitForSelector('.timeline .step-undo');
        assert.ok((await overflow()) <= 0, `the build's page is ${await overflow()}px wider than the phone`);
        await screenshot(page, 'console-timeline-phone');
      } finally {
        await page.setViewport(DESKTOP);
      }
    });
  });
});
