// Every screen of the app in Chromium with the Tauri IPC mocked (fake-tauri.js): what a
// receptionist, doctor or admin sees and can do, with the keyboard where it matters, and an
// axe-core check with no serious or critical violation on each screen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, serveDist, openApp, seriousViolations, callsTo } from './harness.mjs';

const out = join(dirname(fileURLToPath(import.meta.url)), 'out');

let browser;
let site;
before(async () => {
  site = await serveDist();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await site?.close();
});

async function app(scenario, options) {
  const a = await openApp(browser, site.url, scenario, options);
  return a;
}

/** axe on the screen, and a screenshot of it in ui/tests/screens/out to look at. */
async function noSeriousViolations(page, screen) {
  mkdirSync(out, { recursive: true });
  await page.screenshot({ path: join(out, `${screen.replace(/[^a-z0-9]+/gi, '-')}.png`) });
  const v = await seriousViolations(page);
  assert.deepEqual(v, [], `accessibility problems on ${screen}:\n${v.join('\n')}`);
}

/** Signed in, with Maria Garcia's Documents tab open (through the keyboard). */
async function mariaOpen(scenario = {}, options) {
  const a = await app({ signedIn: true, ...scenario }, options);
  const { page } = a;
  const search = page.getByRole('combobox', { name: 'Find a patient' });
  await search.fill('gar');
  await page.getByRole('option', { name: /Maria Garcia/ }).waitFor();
  await search.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Maria Garcia' }).waitFor();
  return a;
}

/** Opens the Knee X-ray in the viewer; `P(fx, fy)` is a point of the page on screen. */
async function openXray(page) {
  await page.getByRole('button', { name: 'Open Knee X-ray' }).click();
  const viewer = page.getByRole('dialog', { name: 'Document viewer' });
  await page.waitForFunction(() => document.querySelector('[data-testid=viewer-image]')?.naturalWidth > 0);
  const img = await viewer.getByTestId('viewer-image').boundingBox();
  return { viewer, img, P: (fx, fy) => ({ x: img.x + fx * img.width, y: img.y + fy * img.height }) };
}

const titles = (page) => page.getByTestId('document').evaluateAll((els) => els.map((e) => e.dataset.title));

test('sign-in: address prefilled, a wrong password says so and keeps the form, the right one opens the clinic', async () => {
  const { page, close, errors } = await app({ serverUrl: 'http://127.0.0.1:9911' });
  try {
    await page.getByRole('heading', { name: /Sign in/ }).waitFor();
    assert.equal(await page.getByLabel('Server address').inputValue(), 'http://127.0.0.1:9911');
    await noSeriousViolations(page, 'the sign-in screen');

    await page.getByLabel('Email').fill('doctor@demo.clinic');
    await page.getByLabel('Password').fill('wrong');
    await page.getByLabel('Password').press('Enter');
    await page.getByRole('alert').filter({ hasText: 'The email or password is not right.' }).waitFor();
    assert.equal(await page.getByLabel('Email').inputValue(), 'doctor@demo.clinic', 'the email stays after a refusal');
    await noSeriousViolations(page, 'the sign-in screen with an error');

    await page.getByLabel('Password').fill('demo');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Demo Doctor').waitFor();
    await page.getByText('Find a patient to see their documents.').waitFor();
    const signIns = await callsTo(page, 'sign_in');
    assert.equal(signIns.length, 2);
    assert.deepEqual(signIns[1], { serverUrl: 'http://127.0.0.1:9911', email: 'doctor@demo.clinic', password: 'demo' });
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test('first sign-in: a setup code and a password chosen twice; a wrong code or a common password says why and keeps the form', async () => {
  const { page, close, errors } = await app({});
  try {
    await page.getByRole('button', { name: 'First time here? Use a setup code' }).click();
    await page.getByRole('heading', { name: 'First sign-in' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'code', 'the code field has the focus');
    await noSeriousViolations(page, 'the first sign-in screen');
    const code = page.getByLabel('Setup code');
    const pw = page.getByLabel('New password', { exact: true });
    const again = page.getByLabel('New password again');
    await code.fill('abcd efgh jkmn pqrs');
    await pw.fill('granite kettle');
    await again.fill('granite kettel');
    await again.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'not the same' }).waitFor();
    assert.equal((await callsTo(page, 'first_sign_in')).length, 0, 'nothing sent while the two differ');
    await pw.fill('short');
    await again.fill('short');
    await again.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'at least 10 characters' }).waitFor();
    await pw.fill('Password123');
    await again.fill('Password123');
    await again.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'most common' }).waitFor();
    await code.fill('ABCD-EFGH-JKMN-PQRR');
    await pw.fill('granite kettle orbit');
    await again.fill('granite kettle orbit');
    await again.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'Ask your clinic' }).waitFor();
    assert.equal(await pw.inputValue(), 'granite kettle orbit', 'a refusal keeps what was typed');
    await noSeriousViolations(page, 'the first sign-in screen with an error');
    await code.fill('abcd efgh jkmn pqrs');
    await page.getByRole('button', { name: 'Set password and sign in' }).click();
    await page.getByText('Find a patient to see their documents.').waitFor();
    const sent = await callsTo(page, 'first_sign_in');
    assert.deepEqual(sent.at(-1), { serverUrl: 'http://127.0.0.1:8080', code: 'abcd efgh jkmn pqrs', password: 'granite kettle orbit' });
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test('staff: an admin adds someone and sees their setup code once, changes a role, ends and restores access; the last admin stays', async () => {
  const { page, close, errors } = await app({ signedIn: true, role: 'admin' });
  try {
    await page.getByTestId('open-staff').click();
    const dialog = page.getByRole('dialog', { name: 'Staff and clinic' });
    await dialog.getByTestId('staff-row').first().waitFor();
    assert.match(await dialog.getByTestId('clinic-limits').innerText(), /Professional plan: a 5 GB storage pool, files up to 10 MB, 5 documents per visit/);
    const rows = () => dialog.getByTestId('staff-row').evaluateAll((rs) => rs.map((r) => `${r.dataset.email}: ${r.children[3].textContent}`));
    assert.deepEqual(await rows(), ['admin@demo.clinic: Active', 'riley@demo.clinic: Active', 'dana@demo.clinic: Active', 'lee@demo.clinic: Access ended']);
    await noSeriousViolations(page, 'the staff screen');

    await dialog.getByLabel('Full name').fill('Rosa Reception');
    await dialog.getByLabel('Email', { exact: true }).fill('rosa@demo.clinic');
    await dialog.getByLabel('Role', { exact: true }).selectOption('receptionist');
    await dialog.getByRole('button', { name: 'Add', exact: true }).click();
    const handover = dialog.getByTestId('setup-code');
    await handover.waitFor();
    assert.match(await handover.innerText(), /Give Rosa Reception this setup code[\s\S]*Q7KM-2XD9-HT4P-W8NB/);
    assert.ok((await rows()).includes('rosa@demo.clinic: Waiting for first sign-in'));
    await noSeriousViolations(page, 'the staff screen showing a setup code');
    await handover.getByRole('button', { name: 'Done' }).click();
    await handover.waitFor({ state: 'detached' });
    // The same email again is refused with the server's words.
    await dialog.getByLabel('Full name').fill('Rosa Again');
    await dialog.getByLabel('Email', { exact: true }).fill('rosa@demo.clinic');
    await dialog.getByRole('button', { name: 'Add', exact: true }).click();
    await dialog.getByTestId('staff-error').filter({ hasText: 'already has an account' }).waitFor();

    // A role picked is asked about first; Cancel puts the role back and sends nothing.
    const dana = dialog.getByTestId('staff-row').filter({ hasText: 'dana@demo.clinic' });
    await dialog.getByLabel('Role of Dr. Dana Doctor').selectOption('billing');
    await dana.getByText('Make Dr. Dana Doctor a Billing?').waitFor();
    await dana.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await dialog.getByLabel('Role of Dr. Dana Doctor').inputValue(), 'doctor');
    assert.equal((await callsTo(page, 'change_staff')).length, 0);
    await dialog.getByLabel('Role of Dr. Dana Doctor').selectOption('admin');
    await dana.getByText('Make Dr. Dana Doctor an Administrator?').waitFor();
    await dana.getByRole('button', { name: 'Change role' }).click();
    await page.waitForFunction(() => window.__calls.some((c) => c.cmd === 'change_staff' && c.args.patch.role === 'admin'));
    // Someone with a password gets a reset, asked about first.
    await dana.getByRole('button', { name: 'Reset password…' }).click();
    await dana.getByText("replaces Dr. Dana Doctor's password").waitFor();
    await dana.getByRole('button', { name: 'Give a new code' }).click();
    await dialog.getByTestId('setup-code').filter({ hasText: 'R3VX-9KQ2-MD7T-PN4W' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'setup-code', 'the new code has the focus');
    await dialog.getByTestId('setup-code').getByRole('button', { name: 'Done' }).click();
    const rosa = dialog.getByTestId('staff-row').filter({ hasText: 'rosa@demo.clinic' });
    await rosa.getByRole('button', { name: 'End access…' }).click();
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Keep', 'Keep has the focus');
    await rosa.getByRole('button', { name: 'End access', exact: true }).click();
    await rosa.getByRole('button', { name: 'Restore access' }).waitFor();
    assert.ok((await rows()).includes('rosa@demo.clinic: Access ended'));
    await rosa.getByRole('button', { name: 'Restore access' }).click();
    await rosa.getByRole('button', { name: 'New setup code' }).click();
    await dialog.getByTestId('setup-code').filter({ hasText: 'R3VX-9KQ2-MD7T-PN4W' }).waitFor();
    await dialog.getByTestId('setup-code').getByRole('button', { name: 'Done' }).click();

    // Dana is an admin now; demoting both admins: the second is refused, and the list stays true.
    await dialog.getByLabel('Role of Dr. Dana Doctor').selectOption('doctor');
    await dana.getByRole('button', { name: 'Change role' }).click();
    await page.waitForFunction(() => window.__calls.filter((c) => c.cmd === 'change_staff').length >= 4);
    await dialog.getByLabel('Role of Demo Admin').selectOption('doctor');
    const me = dialog.getByTestId('staff-row').filter({ hasText: 'admin@demo.clinic' });
    await me.getByText('You will no longer manage staff.').waitFor();
    await me.getByRole('button', { name: 'Change role' }).click();
    await dialog.getByTestId('staff-error').filter({ hasText: 'at least one active administrator' }).waitFor();
    await page.waitForFunction(() => document.querySelector('[aria-label="Role of Demo Admin"]')?.value === 'admin');
    assert.equal(await dialog.getByTestId('staff-row').filter({ hasText: 'admin@demo.clinic' }).getByRole('button', { name: 'End access…' }).count(), 0, 'no ending one\'s own access');

    // Without an SMS gateway on the server, texted codes cannot be chosen, and it says why.
    const security = dialog.getByTestId('share-security');
    assert.equal(await security.getByLabel('with the emailed link and a code texted to their mobile').isDisabled(), true);
    await security.getByText('Texted codes need an SMS gateway on the server').waitFor();
    await dialog.getByTestId('idle-minutes').selectOption('15');
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await dialog.getByRole('status').filter({ hasText: 'a session nobody uses for 15 minutes ends' }).waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
  for (const role of ['doctor', 'receptionist', 'billing']) {
    const other = await app({ signedIn: true, role });
    try {
      await other.page.getByText('Find a patient to see their documents.').waitFor();
      assert.equal(await other.page.getByTestId('open-staff').count(), 0, `no staff screen for ${role}`);
    } finally {
      await other.close();
    }
  }
});

test('patient shares: a doctor reads everything shared of Maria — to whom, which documents, by whom, where it stands — and revokes one; the desk is not offered it', async () => {
  const share = (id, patient_id, name, documents, state, extra = {}) => ({
    id, patient_id, recipient_kind: 'contact', recipient_id: `c-${id}`, recipient_name: name,
    recipient_email: `${name.toLowerCase().replace(/[^a-z]/g, '')}@example.org`, documents,
    created_by: 'u-dana', created_by_name: 'Dr. Dana Doctor', created_at: '2026-11-20T09:00:00Z',
    sent_at: '2026-11-20T09:00:00Z', expires_unused_at: '2026-11-21T09:00:00Z', opened_at: null, revoked_at: null, state, ...extra,
  });
  const shares = [
    share('s-3', 'p-maria', 'Dr. Lee', [{ id: 'd-3', title: 'Knee X-ray' }], 'waiting', { sent_at: '2026-11-19T15:00:00Z', expires_unused_at: '2099-01-01T08:00:00Z' }),
    share('s-2', 'p-maria', 'City Lab', [{ id: 'd-1', title: 'CBC-Report' }, { id: 'd-3', title: 'Knee X-ray' }, { id: 'd-2', title: 'Referral' }], 'opened', { opened_at: '2026-11-20T11:00:00Z' }),
    share('s-1', 'p-maria', 'Dr. Lee', [{ id: 'd-1', title: 'CBC-Report' }], 'expired'),
    share('s-9', 'p-other', 'Dr. Elsewhere', [{ id: 'd-9', title: 'Not Maria' }], 'waiting'),
  ];
  const { page, close, errors } = await mariaOpen({ role: 'doctor', shares });
  try {
    await page.getByTestId('open-patient-shares').click();
    const dialog = page.getByRole('dialog', { name: 'Shared documents of Maria Garcia' });
    const rows = dialog.getByTestId('share');
    await rows.first().waitFor();
    const texts = await rows.allInnerTexts();
    assert.equal(texts.length, 3, "only Maria's shares are listed");
    assert.match(texts[0], /^Dr\. Lee \(drlee@example\.org\)\s+Knee X-ray\s+Shared by Dr\. Dana Doctor, .* · Not opened yet · the link works until/);
    assert.match(texts[1], /^City Lab .*\s+CBC-Report, Knee X-ray and Referral\s+Shared by .* · Opened .* · works until revoked/);
    assert.match(texts[2], /^Dr\. Lee .*\s+CBC-Report\s+.*Expired unopened/);
    assert.ok(!texts.join('\n').includes('Not Maria'));
    await noSeriousViolations(page, "the patient's shares");

    // Two shares went to Dr. Lee: each button says which documents it is for.
    await dialog.getByRole('button', { name: 'Revoke the link to Dr. Lee (Knee X-ray)' }).click();
    await dialog.getByRole('status').filter({ hasText: 'The link to Dr. Lee no longer works.' }).waitFor();
    await rows.first().filter({ hasText: /Revoked/ }).waitFor();
    assert.deepEqual((await callsTo(page, 'revoke_share')).map((c) => c.id), ['s-3']);
    assert.equal(await dialog.getByRole('button', { name: 'Send again to Dr. Lee (Knee X-ray)' }).count(), 0, 'a revoked link is done with');
    // The expired one gets a new link, from the keyboard.
    await dialog.getByRole('button', { name: 'Send again to Dr. Lee (CBC-Report)' }).focus();
    await page.keyboard.press('Enter');
    await dialog.getByRole('status').filter({ hasText: 'A new link went to Dr. Lee (drlee@example.org)' }).waitFor();
    await rows.nth(2).filter({ hasText: /Not opened yet/ }).waitFor();
    await noSeriousViolations(page, "the patient's shares after a revoke");
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    // The X-ray's own Share dialog shows the same revoke.
    await page.getByRole('button', { name: 'Share Knee X-ray' }).first().click();
    const one = page.getByRole('dialog', { name: 'Share “Knee X-ray”' });
    const its = await one.getByTestId('share').allInnerTexts();
    assert.equal(its.length, 2);
    assert.match(its[0], /^Dr\. Lee .*Revoked/s);
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
  const desk = await mariaOpen({ role: 'receptionist', shares });
  try {
    await desk.page.getByTestId('document').first().waitFor();
    assert.equal(await desk.page.getByTestId('open-patient-shares').count(), 0, 'the desk does not share');
  } finally {
    await desk.close();
  }
});

test('contacts: a doctor corrects a mistyped email, removes a contact behind a confirmation, adds one; a bad email is refused', async () => {
  const { page, close, errors } = await app({
    signedIn: true,
    role: 'doctor',
    contacts: [
      { id: 'c-1', name: 'Dr. Lee', organisation: 'Riverside Orthopaedics', email: 'lee@ortho.exmaple', phone: null, created_at: '2026-11-01T09:00:00Z' },
      { id: 'c-2', name: 'City Lab', organisation: null, email: 'results@citylab.example', phone: '+44 7700 900123', created_at: '2026-11-02T09:00:00Z' },
    ],
  });
  try {
    await page.getByTestId('open-contacts').click();
    const dialog = page.getByRole('dialog', { name: 'Contacts' });
    await dialog.getByTestId('contact').first().waitFor();
    const texts = await dialog.getByTestId('contact').allInnerTexts();
    assert.match(texts[0], /Dr\. Lee, Riverside Orthopaedics\s+lee@ortho\.exmaple · no mobile number/);
    assert.match(texts[1], /City Lab\s+results@citylab\.example · mobile \+44 7700 900123/);
    await noSeriousViolations(page, 'the contacts screen');

    await dialog.getByRole('button', { name: 'Change Dr. Lee' }).click();
    const form = dialog.getByRole('form', { name: 'Change Dr. Lee' });
    await form.getByLabel('Email').fill('lee@ortho');
    await form.getByLabel('Email').press('Enter');
    await dialog.getByRole('alert').filter({ hasText: "Enter the person's email address" }).waitFor();
    await form.getByLabel('Email').fill('lee@ortho.example');
    await form.getByLabel('Mobile').fill('+44 7700 900456');
    await form.getByRole('button', { name: 'Save' }).click();
    await dialog.getByRole('status').filter({ hasText: 'A share sent again goes to lee@ortho.example' }).waitFor();
    assert.match(await dialog.getByTestId('contact').first().innerText(), /lee@ortho\.example · mobile \+44 7700 900456/);
    assert.deepEqual((await callsTo(page, 'change_contact')).at(-1).patch.email, 'lee@ortho.example');

    await dialog.getByRole('button', { name: 'Remove City Lab…' }).click();
    await dialog.getByRole('group', { name: 'Remove City Lab?' }).getByRole('button', { name: 'Keep' }).click();
    assert.equal(await dialog.getByTestId('contact').count(), 2, 'Keep removes nothing');
    await dialog.getByRole('button', { name: 'Remove City Lab…' }).click();
    await dialog.getByRole('group', { name: 'Remove City Lab?' }).getByRole('button', { name: 'Remove', exact: true }).click();
    await dialog.getByRole('status').filter({ hasText: 'Removed City Lab' }).waitFor();
    assert.equal(await dialog.getByTestId('contact').count(), 1);

    await dialog.locator('input[name=new-contact-name]').fill('Dr. Okafor');
    await dialog.getByLabel('Email', { exact: true }).last().fill('okafor@heart.example');
    await dialog.locator('input[name=new-contact-name]').press('Enter');
    await dialog.getByRole('status').filter({ hasText: 'Added Dr. Okafor' }).waitFor();
    assert.equal(await dialog.getByTestId('contact').count(), 2);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
  const desk = await app({ signedIn: true, role: 'receptionist' });
  try {
    await desk.page.getByText('Find a patient to see their documents.').waitFor();
    assert.equal(await desk.page.getByTestId('open-contacts').count(), 0, 'the desk has no contacts screen');
  } finally {
    await desk.close();
  }
});

test('sharing security: an admin turns on texted codes from the keyboard, and back to the link alone', async () => {
  const { page, close, errors } = await app({ signedIn: true, role: 'admin', sharing: { sms_available: true } });
  try {
    await page.getByTestId('open-staff').click();
    const security = page.getByRole('dialog', { name: 'Staff and clinic' }).getByTestId('share-security');
    const link = security.getByLabel('with the emailed link', { exact: true });
    await link.waitFor();
    assert.equal(await link.isChecked(), true);
    assert.equal(await security.getByRole('button', { name: 'Save sharing' }).isDisabled(), true, 'nothing to save yet');
    await link.focus();
    await page.keyboard.press('ArrowDown');
    assert.equal(await security.getByLabel('with the emailed link and a code texted to their mobile').isChecked(), true);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'recipients now enter a code texted to their mobile' }).waitFor();
    assert.deepEqual((await page.evaluate(() => window.__calls)).filter((c) => c.cmd === 'change_sharing_settings').map((c) => c.args.security), ['sms']);
    await noSeriousViolations(page, 'the sharing setting');
    await link.check();
    await security.getByRole('button', { name: 'Save sharing' }).click();
    await page.getByRole('status').filter({ hasText: 'with the emailed link alone' }).waitFor();
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test('audit trail: an admin reads who did what, filters by person, action and patient, pages back, and exports the CSV', async () => {
  const { page, close, errors } = await mariaOpen({ role: 'admin' });
  try {
    await page.getByTestId('open-audit').click();
    const dialog = page.getByRole('dialog', { name: 'Audit trail' });
    await dialog.getByTestId('audit-row').first().waitFor();
    assert.equal(await dialog.getByTestId('audit-row').count(), 100, 'a page at a time');
    assert.match(await dialog.getByTestId('audit-row').first().innerText(), /Dr\. Dana Doctor downloaded ‘CBC-Report-Apr2026’ of Maria Garcia/);
    await noSeriousViolations(page, 'the audit trail');
    await dialog.getByRole('button', { name: 'Show older events' }).click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=audit-row]').length === 150);
    assert.equal(await dialog.getByRole('button', { name: 'Show older events' }).count(), 0, 'no older page after the last');

    await dialog.getByLabel('Person').selectOption({ label: 'Dr. Dana Doctor' });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=audit-row]').length === 50);
    await dialog.getByLabel('Action').selectOption('sign_in_succeeded');
    await dialog.getByText('No events match these filters.').waitFor();
    await dialog.getByLabel('Person').selectOption({ label: 'Everyone' });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=audit-row]').length === 50);
    assert.ok((await dialog.getByTestId('audit-row').allInnerTexts()).every((t) => t.includes('signed in')));
    await dialog.getByLabel('Action').selectOption({ label: 'Any action' });
    await dialog.getByLabel('Only Maria Garcia').check();
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=audit-row]')].every((r) => r.textContent.includes('Maria Garcia')));
    const last = (await callsTo(page, 'audit_page')).at(-1);
    assert.equal(last.filter.patient_id, 'p-maria');
    await dialog.getByLabel('From').fill('2026-11-20');
    await dialog.getByLabel('From').dispatchEvent('change');
    await page.waitForFunction(() => window.__calls.filter((c) => c.cmd === 'audit_page').at(-1).args.filter.from !== null);
    const from = (await callsTo(page, 'audit_page')).at(-1).filter.from;
    assert.equal(new Date(from).getHours(), 0, 'the day starts at local midnight');

    await dialog.getByTestId('export-audit').click();
    await dialog.getByTestId('audit-saved').filter({ hasText: 'Audit trail 2026-11-20.csv' }).waitFor();
    const exported = (await callsTo(page, 'export_audit')).at(-1);
    assert.equal(exported.filter.patient_id, 'p-maria', 'the CSV has what the screen shows');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    // A document's history: the audit screen opened from its row shows only its events, and
    // clearing the box widens it again.
    await page.getByRole('button', { name: 'History of Blood panel' }).click();
    await dialog.getByTestId('audit-row').first().waitFor();
    assert.ok(await dialog.getByTestId('audit-document-only').isChecked());
    const rows = await dialog.getByTestId('audit-row').allInnerTexts();
    assert.ok(rows.length > 0 && rows.every((t) => t.includes('‘Blood panel’')), rows.slice(0, 3).join(' | '));
    await noSeriousViolations(page, "a document's history");
    await dialog.getByLabel('Only ‘Blood panel’').uncheck();
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=audit-row]')].some((r) => r.textContent.includes('CBC-Report')));
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('open-audit').click();
    await dialog.getByTestId('audit-row').first().waitFor();
    assert.equal(await dialog.getByTestId('audit-document-only').count(), 0, 'the header button opens the whole trail');
    await page.keyboard.press('Escape');
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
  const doctor = await mariaOpen({ role: 'doctor' });
  try {
    await doctor.page.getByTestId('document').first().waitFor();
    assert.equal(await doctor.page.getByTestId('open-audit').count(), 0, 'no audit trail for a doctor');
    assert.equal(await doctor.page.getByTestId('document-history').count(), 0, 'no document history for a doctor');
  } finally {
    await doctor.close();
  }
});

test('front desk: no match offers to register the name typed; a namesake is pointed out first; today\'s visit is one step', async () => {
  const { page, close, errors } = await app({ signedIn: true, role: 'receptionist' });
  try {
    const search = page.getByRole('combobox', { name: 'Find a patient' });
    await search.fill('Ana Lima');
    await page.getByRole('status').filter({ hasText: 'No patient matches “Ana Lima”' }).waitFor();
    await page.getByTestId('register-patient').click();
    const dialog = page.getByRole('dialog', { name: 'Register a patient' });
    assert.equal(await dialog.getByLabel('Full name').inputValue(), 'Ana Lima', 'the name typed is kept');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('type')), 'date', 'the date of birth is next');
    await noSeriousViolations(page, 'the register-patient dialog');
    await dialog.getByLabel('Date of birth').fill('1990-02-03');
    await dialog.getByLabel('Sex').selectOption('female');
    await dialog.getByLabel('Phone').fill('+351 912 345 678');
    await dialog.getByLabel('Patient number').fill('P-1042');
    await dialog.getByRole('button', { name: 'Register', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Ana Lima' }).waitFor();
    await page.getByText('no. P-1042').waitFor();
    assert.deepEqual((await callsTo(page, 'register_patient')).at(-1).new, {
      name: 'Ana Lima', date_of_birth: '1990-02-03', sex: 'female', phone: '+351 912 345 678', email: null, patient_number: 'P-1042',
    });

    // Today's visit, with a practitioner, in one step.
    await page.getByTestId('open-visit').click();
    const visit = page.getByRole('dialog', { name: 'Open a visit for Ana Lima' });
    await visit.getByLabel('Practitioner').selectOption({ label: 'Dr. Dana Doctor' });
    await noSeriousViolations(page, 'the open-visit dialog');
    await visit.getByLabel('Reason').fill('Walk-in: cough');
    await visit.getByLabel('Reason').press('Enter');
    await page.getByTestId('import-notice').filter({ hasText: 'Visit opened: Walk-in: cough' }).waitFor();
    await page.getByText('1 visit', { exact: false }).waitFor();
    const opened = (await callsTo(page, 'open_visit')).at(-1);
    const today = await page.evaluate(() => { const d = new Date(); return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`; });
    assert.deepEqual(opened.new, { date: today, reason: 'Walk-in: cough', practitioner_id: 'u-dana' });
    // A file added now goes to today's visit unless changed.
    await page.getByTestId('open-upload').click();
    const form = page.getByRole('dialog', { name: /Upload/ });
    await form.getByLabel('Visit').waitFor();
    assert.match(await form.getByLabel('Visit').evaluate((s) => s.selectedOptions[0].textContent), /Walk-in: cough/);
    await form.getByRole('button', { name: 'Cancel' }).click();

    // Her details change from her file: a field emptied is cleared.
    await page.getByTestId('edit-patient').click();
    const details = page.getByRole('dialog', { name: 'Details of Ana Lima' });
    assert.equal(await details.getByLabel('Phone').inputValue(), '+351 912 345 678');
    await details.getByLabel('Phone').fill('');
    await details.getByLabel('Email').fill('ana@example.org');
    await details.getByRole('button', { name: 'Save' }).click();
    await details.waitFor({ state: 'detached' });
    assert.deepEqual((await callsTo(page, 'update_patient')).at(-1).patch, {
      name: 'Ana Lima', date_of_birth: '1990-02-03', sex: 'female', phone: '', email: 'ana@example.org', patient_number: 'P-1042',
    });

    // A second Maria Garcia born the same day: the one there is, is offered first.
    await search.fill('Maria Garcia Lopez');
    await page.getByTestId('register-patient').click();
    const again = page.getByRole('dialog', { name: 'Register a patient' });
    await again.getByLabel('Full name').fill('maria garcia');
    await again.getByLabel('Date of birth').fill('1961-11-03');
    await again.getByRole('button', { name: 'Register', exact: true }).click();
    await again.getByTestId('namesakes').waitFor();
    assert.equal((await callsTo(page, 'register_patient')).length, 1, 'nothing registered while a namesake is shown');
    await noSeriousViolations(page, 'the register-patient dialog pointing out a namesake');
    await again.getByRole('button', { name: /Open Maria Garcia, born/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Maria Garcia' }).waitFor();
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
  const billing = await app({ signedIn: true, role: 'billing' });
  try {
    await billing.page.getByRole('combobox', { name: 'Find a patient' }).fill('Nobody Here');
    await billing.page.getByRole('status').filter({ hasText: 'No patient matches' }).waitFor();
    assert.equal(await billing.page.getByTestId('register-patient').count(), 0, 'billing does not register patients');
  } finally {
    await billing.close();
  }
});

test('patient photo: initials until the desk adds one from a file, then the photo; a file that is not a picture is named; billing only sees it', async () => {
  let hasPhoto = false;
  const avatarFails = (url) => url.includes('/avatar/') && !hasPhoto;
  const desk = await mariaOpen({ role: 'receptionist' }, { failMedia: avatarFails });
  try {
    const { page, media } = desk;
    const header = page.locator('header.patient');
    await header.getByRole('img', { name: 'No photo of Maria Garcia' }).waitFor();
    assert.equal(await header.getByTestId('patient-initials').textContent(), 'MG');
    assert.ok(media.some((m) => m.startsWith('avatar/p-maria')), 'the photo was asked for by patient id');
    await noSeriousViolations(page, 'a patient without a photo');

    hasPhoto = true;
    await page.getByRole('button', { name: 'Add photo of Maria Garcia' }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid=patient-photo]')?.naturalWidth > 0);
    assert.match(await header.getByRole('img', { name: 'Photo of Maria Garcia' }).getAttribute('src'), /\/avatar\/p-maria\?v=1$/, 'fetched again, not from the old answer');
    assert.deepEqual(await callsTo(page, 'choose_patient_photo'), [{ patientId: 'p-maria' }]);
    await noSeriousViolations(page, 'a patient with a photo');

    await page.evaluate(() => { window.__scenario.photoChoice = 'refused'; });
    await page.getByRole('button', { name: 'Change photo of Maria Garcia' }).click();
    await page.getByRole('alert').filter({ hasText: '“referral.pdf” is not a photo this app can use' }).waitFor();
    assert.equal(await header.getByTestId('patient-photo').count(), 1, 'the photo shown stays');

    await page.evaluate(() => { window.__scenario.photoChoice = 'cancelled'; });
    await page.getByRole('button', { name: 'Change photo of Maria Garcia' }).click();
    await page.waitForFunction(() => window.__calls.filter((c) => c.cmd === 'choose_patient_photo').length === 3);
    assert.match(await header.getByTestId('patient-photo').getAttribute('src'), /\?v=1$/, 'a cancelled choice changes nothing');
  } finally {
    await desk.close();
  }
  const billing = await mariaOpen({ role: 'billing' });
  try {
    await billing.page.locator('header.patient').getByRole('img', { name: 'Photo of Maria Garcia' }).waitFor();
    assert.equal(await billing.page.getByTestId('choose-photo').count(), 0, 'billing may not change it');
  } finally {
    await billing.close();
  }
});

test('signing out clears what the screen said to the one who was signed in; the next sign-in starts clean', async () => {
  const { page, close } = await mariaOpen({ role: 'receptionist' });
  try {
    await page.getByTestId('open-visit').click();
    const visit = page.getByRole('dialog', { name: 'Open a visit for Maria Garcia' });
    await visit.getByLabel('Reason').fill('Walk-in: cough');
    await visit.getByLabel('Reason').press('Enter');
    await page.getByTestId('import-notice').filter({ hasText: 'Visit opened: Walk-in: cough' }).waitFor();
    await page.getByTestId('sign-out').click();
    await page.getByRole('heading', { name: /Sign in/ }).waitFor();
    await page.getByLabel('Email').fill('receptionist@demo.clinic');
    await page.getByLabel('Password').fill('demo');
    await page.getByLabel('Password').press('Enter');
    await page.getByTestId('storage-gauge').waitFor();
    await page.getByText('Find a patient to see their documents.').waitFor();
    assert.equal(await page.getByTestId('import-notice').count(), 0, 'the next person does not see it');
  } finally {
    await close();
  }
});

test('password: the current one and the new one twice; a wrong current password or a common new one is refused with the reason', async () => {
  const { page, close, errors } = await app({ signedIn: true });
  try {
    await page.getByRole('button', { name: 'Password' }).click();
    const dialog = page.getByRole('dialog', { name: 'Change your password' });
    await dialog.waitFor();
    await noSeriousViolations(page, 'the change-password dialog');
    await dialog.getByLabel('Current password').fill('nope');
    await dialog.getByLabel('New password', { exact: true }).fill('granite kettle orbit');
    await dialog.getByLabel('New password again').fill('granite kettle orbit');
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'current password is not right' }).waitFor();
    await dialog.getByLabel('Current password').fill('demo');
    await dialog.getByLabel('New password', { exact: true }).fill('password123');
    await dialog.getByLabel('New password again').fill('password123');
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'most common' }).waitFor();
    await dialog.getByLabel('New password', { exact: true }).fill('granite kettle orbit');
    await dialog.getByLabel('New password again').fill('granite kettle orbit');
    await dialog.getByLabel('New password again').press('Enter');
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: 'Your password is changed' }).waitFor();
    assert.deepEqual((await callsTo(page, 'change_password')).at(-1), { current: 'demo', new: 'granite kettle orbit' });
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test('patient search: typed name or date of birth, ↓ and Enter open a patient, who then is one click away', async () => {
  const { page, close } = await app({ signedIn: true });
  try {
    const search = page.getByRole('combobox', { name: 'Find a patient' });
    await search.focus();
    await page.keyboard.type('1975');
    await page.getByRole('option', { name: /John Smith/ }).waitFor();
    await search.fill('');
    await page.keyboard.type('mari');
    await page.getByRole('option').nth(1).waitFor();
    assert.deepEqual(await page.getByRole('option').locator('.name').allInnerTexts(), ['Maria Garcia', 'Mariam Said']);
    assert.equal(await search.getAttribute('aria-activedescendant'), 'patient-0');
    await noSeriousViolations(page, 'the patient search with results');
    await search.press('ArrowDown');
    assert.equal(await search.getAttribute('aria-activedescendant'), 'patient-1');
    assert.equal(await page.getByRole('option', { selected: true }).locator('.name').innerText(), 'Mariam Said');
    await search.press('Enter');
    const opened = 'Mariam Said';
    await page.getByRole('heading', { level: 1, name: opened }).waitFor();

    await search.fill('zzz');
    await search.press('Enter');
    await page.getByText('No patient matches “zzz”.').waitFor();
    await search.press('Escape');
    assert.equal(await search.inputValue(), '');

    const recent = page.getByRole('list', { name: 'Recent patients' });
    await recent.getByRole('button', { name: new RegExp(opened) }).waitFor();
    await search.fill('smith');
    await page.getByRole('option', { name: /John Smith/ }).click();
    await page.getByRole('heading', { level: 1, name: 'John Smith' }).waitFor();
    await recent.getByRole('button', { name: new RegExp(opened) }).click();
    await page.getByRole('heading', { level: 1, name: opened }).waitFor();
  } finally {
    await close();
  }
});

test('documents tab: gauge, counts per type, type filter, sort, date range, grid and list', async () => {
  const { page, close, media } = await mariaOpen();
  try {
    const gauge = page.getByTestId('storage-gauge');
    assert.match(await gauge.innerText(), /3\.1 GB of 5 GB/);
    assert.doesNotMatch(await gauge.innerText(), /nearly full/);
    await page.getByTestId('document').first().waitFor();
    assert.deepEqual(await titles(page), ['Chest X-ray PA', 'Blood panel', 'Knee X-ray', 'Referral to cardiology', 'Insurance card']);
    const type = page.getByRole('radiogroup', { name: 'Document type' });
    assert.match(await type.getByRole('radio', { name: /^All/ }).innerText(), /5/);
    assert.match(await type.getByRole('radio', { name: /^X-Ray/ }).innerText(), /2/);
    assert.match(await type.getByRole('radio', { name: /^Consent/ }).innerText(), /0/);
    assert.ok(media.some((m) => m.startsWith('thumb/d-1')), 'grid thumbnails come from clinicdocs://thumb/…');
    await noSeriousViolations(page, 'the documents grid');

    await type.getByRole('radio', { name: /^X-Ray/ }).click();
    assert.deepEqual(await titles(page), ['Chest X-ray PA', 'Knee X-ray']);
    assert.equal(await type.getByRole('radio', { name: /^X-Ray/ }).getAttribute('aria-checked'), 'true');
    assert.match(await page.getByTestId('download-all').innerText(), /Download all \(2\)/);
    await type.getByRole('radio', { name: /^All/ }).click();

    await page.getByLabel('Sort by').selectOption('name');
    await page.getByTestId('sort-order').selectOption('asc');
    await page.waitForFunction(() => document.querySelector('[data-testid=document]')?.dataset.title === 'Blood panel');
    assert.deepEqual(await titles(page), ['Blood panel', 'Chest X-ray PA', 'Insurance card', 'Knee X-ray', 'Referral to cardiology']);
    const lists = await callsTo(page, 'list_documents');
    assert.deepEqual(lists.at(-1).filter, { patient_id: 'p-maria', from: null, to: null, sort: 'name', order: 'asc' });

    await page.getByLabel('From').fill('2026-11-17');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=document]').length === 3);
    assert.equal((await callsTo(page, 'list_documents')).at(-1).filter.from, '2026-11-17');
    await page.getByLabel('From').fill('');

    await page.getByRole('radio', { name: 'List' }).click();
    const row = page.getByTestId('document').filter({ hasText: 'Chest X-ray PA' });
    const text = await row.innerText();
    for (const part of ['X-Ray', '19 Nov 2026', 'Demo Doctor', 'KB', 'Visit 2 Oct 2026']) assert.ok(text.includes(part), `list row shows ${part}: ${text}`);
    assert.equal(await page.locator('ul.list img').count(), 0, 'the compact list has no thumbnails');
    await noSeriousViolations(page, 'the documents list');
  } finally {
    await close();
  }
});

test('storage gauge turns to a warning near the pool limit and says when it is full', async () => {
  for (const [used, level, words] of [
    [4.2, 'warning', 'nearly full'],
    [4.9, 'critical', 'nearly full'],
    [5, 'full', 'full'],
  ]) {
    const { page, close } = await app({ signedIn: true, usage: { used_bytes: used * 1024 ** 3, quota_bytes: 5 * 1024 ** 3, document_count: 9 } });
    try {
      const gauge = page.getByTestId('storage-gauge');
      await gauge.waitFor();
      assert.ok((await gauge.getAttribute('class')).includes(level), `${used} GB is ${level}`);
      assert.match(await gauge.innerText(), new RegExp(`— ${words}`));
      assert.match(await page.getByRole('meter', { name: 'Clinic storage used' }).getAttribute('aria-valuetext'), new RegExp(`^${used} GB of 5 GB$`));
    } finally {
      await close();
    }
  }
});

test('storage report: an admin opens what fills the pool from the gauge, by type and by patient; other roles are not offered it', async () => {
  const { page, close } = await mariaOpen({ role: 'admin' });
  try {
    await page.getByTestId('storage-details').click();
    const dialog = page.getByRole('dialog', { name: 'Clinic storage' });
    await dialog.getByTestId('report-category').first().waitFor();
    const expected = await page.evaluate(() => {
      const by = {};
      for (const d of window.__fake.documents()) by[d.category] = (by[d.category] ?? 0) + 1;
      return by;
    });
    const shown = await dialog.getByTestId('report-category').evaluateAll((rows) =>
      Object.fromEntries(rows.map((r) => [r.dataset.category, Number(r.children[1].textContent)])),
    );
    assert.deepEqual(shown, expected, 'documents per type');
    assert.ok((await dialog.getByTestId('report-patient').count()) >= 1);
    assert.match(await dialog.getByTestId('report-patient').first().innerText(), /Maria Garcia/);
    await noSeriousViolations(page, 'the storage report');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  } finally {
    await close();
  }
  const other = await mariaOpen({ role: 'receptionist' });
  try {
    await other.page.getByTestId('storage-gauge').waitFor();
    assert.equal(await other.page.getByTestId('storage-details').count(), 0, 'no report for a receptionist');
  } finally {
    await other.close();
  }
});

test('upload form: file from the dialog, title from its name, type required, visit linked, one key per form', async () => {
  const scan = '/home/reception/scans/CBC report.pdf';
  const { page, close, media } = await mariaOpen({
    role: 'receptionist',
    picks: [[scan]],
    files: { [scan]: { size: 480000, content_type: 'application/pdf' } },
  });
  try {
    await page.getByTestId('open-upload').click();
    const dialog = page.getByRole('dialog', { name: 'Upload a document for Maria Garcia' });
    await dialog.waitFor();
    await noSeriousViolations(page, 'the empty upload form');
    await dialog.getByTestId('choose-file').click();
    await dialog.getByText('CBC report.pdf').waitFor();
    assert.equal(await dialog.getByLabel('File name').inputValue(), 'CBC report');
    assert.match(await dialog.innerText(), /469 KB · application\/pdf/);
    assert.ok(media.includes('preview/pv-CBC report.pdf'.replace(' ', '%20')) || media.includes('preview/pv-CBC report.pdf'));
    const types = await dialog.getByLabel('Document type (required)').locator('option').allInnerTexts();
    assert.equal(types.length, 10, `a receptionist may file any type: ${types}`);

    await dialog.getByRole('button', { name: 'Upload' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'Choose the document type.' }).waitFor();
    assert.equal((await callsTo(page, 'queue_upload')).length, 0, 'nothing is queued without a type');
    await noSeriousViolations(page, 'the upload form with a missing type');

    await dialog.getByLabel('Document type (required)').selectOption('referral');
    await dialog.getByLabel('File name').fill('CBC report from Dr Lee');
    await dialog.getByLabel('Notes').fill('Brought by the patient');
    await dialog.getByLabel('Visit').selectOption('e-2');
    await page.evaluate(() => {
      window.__fake.sendGate = new Promise((ok) => (window.__releaseSend = ok));
    });
    await dialog.getByRole('button', { name: 'Upload' }).click();
    await page.getByRole('status').filter({ hasText: '“CBC report from Dr Lee” is in the upload queue' }).waitFor();
    assert.equal(await dialog.count(), 0, 'the form closes once the file is queued');

    const queue = page.getByTestId('queue');
    const item = queue.getByTestId('queue-item').filter({ hasText: 'CBC report from Dr Lee' });
    await item.getByText('Sending').waitFor();
    const bar = item.getByRole('progressbar', { name: 'Sending CBC report from Dr Lee' });
    await page.waitForFunction(() => document.querySelector('[data-testid=queue-item] [role=progressbar]')?.getAttribute('aria-valuenow') !== '0');
    assert.equal(await bar.getAttribute('aria-valuenow'), String(Math.round(480000 * 0.4)), 'byte-accurate progress');
    assert.match(await queue.innerText(), /1 to send/i);
    await noSeriousViolations(page, 'the upload queue while sending');
    await page.evaluate(() => window.__releaseSend());
    await item.getByText('Sent', { exact: true }).waitFor();
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=document]')].some((d) => d.dataset.title === 'CBC report from Dr Lee'));
    await page.getByRole('status').filter({ hasText: 'is in the upload queue' }).waitFor({ state: 'detached' });

    const [sent] = await callsTo(page, 'queue_upload');
    assert.equal(sent.request.path, scan);
    assert.equal(sent.request.category, 'referral');
    assert.equal(sent.request.encounter_id, 'e-2');
    assert.equal(sent.request.notes, 'Brought by the patient');
    assert.match(sent.request.idempotency_key, /^[0-9a-f-]{36}$/);
    const checks = await callsTo(page, 'check_file');
    assert.equal(checks.at(-1).encounterId, 'e-2', 'changing the visit checks the visit limit again');
    assert.ok((await titles(page)).includes('CBC report from Dr Lee'));
    assert.equal((await callsTo(page, 'storage_usage')).length >= 2, true, 'the gauge is refreshed after an upload');
    assert.match(await page.getByTestId('storage-gauge').innerText(), /3\.1 GB of 5 GB/);
  } finally {
    await close();
  }
});

test('upload: limits are shown before queueing; a refusal by the server stays in the queue with its message until fixed and sent again', async () => {
  const big = '/scans/mri.tiff';
  const ok = '/scans/consent.pdf';
  const { page, close } = await mariaOpen({
    role: 'doctor',
    picks: [[big], [ok]],
    files: {
      [big]: { size: 14 * 1024 * 1024, problems: [{ code: 'file_too_large', message: 'This file is 14.0 MB; the limit is 10 MB per file.' }] },
      [ok]: { size: 9000, content_type: 'application/pdf' },
    },
  });
  try {
    await page.getByTestId('open-upload').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByTestId('choose-file').click();
    await dialog.getByTestId('upload-problems').filter({ hasText: 'This file is 14.0 MB; the limit is 10 MB per file.' }).waitFor();
    await dialog.getByLabel('Document type (required)').selectOption('imaging');
    assert.equal(await dialog.getByRole('button', { name: 'Upload' }).isDisabled(), true, 'a file over the limit cannot be sent');
    await noSeriousViolations(page, 'the upload form with a refused file');

    await dialog.getByRole('button', { name: 'Choose another file…' }).click();
    await dialog.getByText('consent.pdf').waitFor();
    assert.equal(await dialog.getByTestId('upload-problems').count(), 0);
    await page.evaluate(() => {
      window.__fake.refuseNext = { code: 'visit_limit_reached', message: 'This visit already has 5 documents, the most one visit can hold.' };
    });
    await dialog.getByRole('button', { name: 'Upload' }).click();
    const item = page.getByTestId('queue-item').filter({ hasText: 'consent' });
    await item.getByRole('alert').filter({ hasText: 'This visit already has 5 documents' }).waitFor();
    assert.equal(await item.getAttribute('data-state'), 'refused', 'not retried by itself');
    assert.match(await page.getByTestId('queue').innerText(), /0 to send · 1 refused/i);
    await noSeriousViolations(page, 'a refused upload in the queue');

    await item.getByLabel('Type').selectOption('consent');
    await item.getByLabel('Name').fill('Consent for surgery');
    await item.getByRole('button', { name: 'Send again' }).click();
    await page.getByTestId('queue-item').filter({ hasText: 'Consent for surgery' }).getByText('Sent', { exact: true }).waitFor();
    const [resent] = await callsTo(page, 'queue_resend');
    assert.deepEqual(resent.change, { category: 'consent', title: 'Consent for surgery' });
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=document]')].some((d) => d.dataset.title === 'Consent for surgery'));
  } finally {
    await close();
  }
});

test('what a role may not do is not offered: receptionist, billing, and a clinic on the Basic plan', async () => {
  const r = await mariaOpen({ role: 'receptionist' });
  try {
    await r.page.getByTestId('document').first().waitFor();
    assert.deepEqual(await titles(r.page), ['Insurance card'], 'a receptionist sees clinical documents only when she uploaded them');
    await r.page.getByRole('button', { name: 'Edit Insurance card' }).waitFor();
    assert.equal(await r.page.getByRole('button', { name: /^Delete / }).count(), 0, 'only admins delete');
  } finally {
    await r.close();
  }
  const billing = await mariaOpen({ role: 'billing' });
  try {
    await billing.page.getByTestId('open-upload').click();
    const types = await billing.page.getByRole('dialog').getByLabel('Document type (required)').locator('option').allInnerTexts();
    assert.deepEqual(types, ['Choose a type…', 'Insurance'], 'billing files insurance cards only');
  } finally {
    await billing.close();
  }
  const b = await mariaOpen({ role: 'admin', plan: 'basic', noDocuments: true });
  try {
    await b.page.getByText('Documents are part of the Professional plan.').waitFor();
    assert.equal(await b.page.getByTestId('open-upload').count(), 0);
    await b.page.getByText('No documents for this patient yet.').waitFor();
    await noSeriousViolations(b.page, 'the Basic plan screen');
  } finally {
    await b.close();
  }
});

test('edit and delete: rename and retype; an admin deletes behind a confirmation that says it cannot be undone', async () => {
  const { page, close } = await mariaOpen({ role: 'admin' });
  try {
    await page.getByRole('button', { name: 'Edit Knee X-ray' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit “Knee X-ray”' });
    await edit.waitFor();
    await noSeriousViolations(page, 'the edit form');
    await edit.getByLabel('File name').fill('Left knee X-ray');
    await edit.getByLabel('Document type').selectOption('photo');
    await edit.getByLabel('File name').press('Enter');
    await page.getByRole('status').filter({ hasText: '“Left knee X-ray” was saved.' }).waitFor();
    const [u] = await callsTo(page, 'update_document');
    assert.deepEqual(u.patch, { title: 'Left knee X-ray', category: 'photo', notes: null });
    assert.match(await page.getByRole('radio', { name: /^Photo/ }).innerText(), /1/);

    const before = (await callsTo(page, 'storage_usage')).length;
    await page.getByRole('button', { name: 'Delete Blood panel' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete “Blood panel”?' });
    await confirm.getByText('This cannot be undone.').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Cancel', 'Cancel has the focus');
    await noSeriousViolations(page, 'the delete confirmation');
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    assert.equal((await callsTo(page, 'delete_document')).length, 0, 'Esc deletes nothing');

    await page.getByRole('button', { name: 'Delete Blood panel' }).click();
    await page.getByTestId('confirm-delete').click();
    await page.getByRole('status').filter({ hasText: '“Blood panel” was deleted.' }).waitFor();
    assert.ok(!(await titles(page)).includes('Blood panel'));
    assert.ok((await callsTo(page, 'storage_usage')).length > before, 'the gauge is refreshed after a delete');
  } finally {
    await close();
  }
});

test("documents: a PDF just uploaded waits for the server's tile (its PDF is not fetched for it), then shows it", async () => {
  const { page, close, media } = await mariaOpen({ tileComing: true });
  try {
    const tile = page.locator('[data-testid=document][data-title="Discharge letter"]');
    await tile.getByTestId('tile-wait').waitFor();
    await noSeriousViolations(page, 'a tile waiting for the server');
    // Read again until the server says it has the tile; then its tile, not one drawn here.
    await tile.locator('img').waitFor({ timeout: 10_000 });
    const id = await tile.getAttribute('data-id');
    assert.equal(await tile.locator('img').getAttribute('src').then((s) => s.endsWith(`thumb/${id}`)), true, 'the server tile');
    assert.ok(!media.some((m) => m.startsWith(`thumb/${id}?own`) || m.startsWith(`original/${id}`)), `nothing drawn here: ${media}`);
    assert.ok((await callsTo(page, 'list_documents')).length >= 3, 'the list was read again');
  } finally {
    await close();
  }
});

test('viewer: a faxed TIFF is turned page by page like a PDF, and exported at the page shown', async () => {
  const { page, close, media } = await mariaOpen({ fax: true });
  try {
    await page.getByRole('button', { name: 'Open Fax referral' }).click();
    const viewer = page.getByRole('dialog', { name: 'Document viewer' });
    await viewer.getByTestId('viewer-page').filter({ hasText: 'Page 1 of 3' }).waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid=viewer-image]')?.getAttribute('src')?.includes('/page/d-6/1?w='));
    assert.equal(await page.locator('[data-testid=viewer-image]').getAttribute('alt'), 'Fax referral, page 1');
    await page.keyboard.press('PageDown');
    await viewer.getByTestId('viewer-page').filter({ hasText: 'Page 2 of 3' }).waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid=viewer-image]')?.getAttribute('src')?.includes('/page/d-6/2?w='));
    assert.ok(media.some((m) => /^page\/d-6\/2\?w=\d+$/.test(m)), `page 2 drawn by the Rust side: ${media}`);
    assert.equal((await callsTo(page, 'pdf_page_count')).length, 0, 'the count comes from the server, not from pdfium');
    await noSeriousViolations(page, 'the viewer on a faxed TIFF');
    await viewer.getByTestId('export-annotated').click();
    const exports = await callsTo(page, 'export_annotated');
    assert.equal(exports.at(-1).page, 2, 'the page shown is exported');
    assert.equal(exports.at(-1).dicom, null);
  } finally {
    await close();
  }
});

test('viewer: PDF page by page, ← → through the filtered list, zoom with the keyboard, Esc closes', async () => {
  const { page, close, media } = await mariaOpen();
  try {
    await page.getByRole('radio', { name: /^All/ }).waitFor();
    await page.getByRole('button', { name: 'Open Blood panel' }).click();
    const viewer = page.getByRole('dialog', { name: 'Document viewer' });
    await viewer.waitFor();
    await viewer.getByTestId('viewer-page').filter({ hasText: 'Page 1 of 3' }).waitFor();
    await noSeriousViolations(page, 'the viewer on a PDF');
    await page.keyboard.press('PageDown');
    await viewer.getByTestId('viewer-page').filter({ hasText: 'Page 2 of 3' }).waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid=viewer-image]')?.getAttribute('src')?.includes('/page/d-2/2?w='));
    assert.ok(media.some((m) => /^page\/d-2\/2\?w=\d+$/.test(m)), `page 2 drawn by the Rust side: ${media}`);
    await page.keyboard.press('PageDown');
    await page.keyboard.press('PageDown');
    await viewer.getByTestId('viewer-page').filter({ hasText: 'Page 3 of 3' }).waitFor();

    await page.keyboard.press('ArrowRight');
    await viewer.getByTestId('viewer-title').filter({ hasText: 'Knee X-ray' }).waitFor();
    assert.equal(await viewer.getByTestId('viewer-position').innerText(), '3 of 5');
    assert.equal(await viewer.getByTestId('viewer-page').count(), 0, 'images have no pages');
    await page.waitForFunction(() => document.querySelector('[data-testid=viewer-image]')?.naturalWidth > 0);
    const fitted = await viewer.getByText(/^\d+%$/).innerText();
    await page.keyboard.press('+');
    await page.keyboard.press('+');
    const zoomed = await viewer.getByText(/^\d+%$/).innerText();
    assert.ok(parseInt(zoomed, 10) > parseInt(fitted, 10), `+ zooms in: ${fitted} → ${zoomed}`);
    await page.keyboard.press('0');
    assert.equal(await viewer.getByText(/^\d+%$/).innerText(), fitted, '0 fits again');
    await noSeriousViolations(page, 'the viewer on an image');

    await page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'hidden' });

    // Within a filter, → stays inside it.
    await page.getByRole('radio', { name: /^X-Ray/ }).click();
    await page.getByRole('button', { name: 'Open Chest X-ray PA' }).click();
    await page.keyboard.press('ArrowRight');
    await viewer.getByTestId('viewer-title').filter({ hasText: 'Knee X-ray' }).waitFor();
    assert.equal(await viewer.getByTestId('viewer-position').innerText(), '2 of 2');
  } finally {
    await close();
  }
});

test('viewer: a picture that cannot be fetched says so instead of a blank screen', async () => {
  const { page, close } = await mariaOpen({}, { failMedia: (u) => u.includes('/original/') });
  try {
    await page.getByRole('button', { name: 'Open Chest X-ray PA' }).click();
    await page.getByRole('dialog', { name: 'Document viewer' }).getByRole('alert').filter({ hasText: 'could not be shown' }).waitFor();
  } finally {
    await close();
  }
});

test('download all: a progress bar while the zip is built, then where it was saved', async () => {
  const { page, close } = await mariaOpen();
  try {
    await page.getByRole('radio', { name: /^X-Ray/ }).click();
    await page.evaluate(() => {
      window.__fake.zipGate = new Promise((ok) => (window.__releaseZip = ok));
    });
    await page.getByTestId('download-all').click();
    const bar = page.getByRole('progressbar', { name: 'Zip progress' });
    await bar.waitFor();
    assert.equal(await bar.getAttribute('aria-valuemax'), '2');
    assert.equal(await page.getByTestId('download-all').isDisabled(), true, 'one zip at a time');
    await noSeriousViolations(page, 'the zip progress');
    await page.evaluate(() => window.__releaseZip());
    await page.getByRole('status').filter({ hasText: 'Saved 2 documents to /home/doctor/Downloads/Maria Garcia documents - X-Ray.zip' }).waitFor();
    assert.equal(await bar.count(), 0);
    const [z] = await callsTo(page, 'download_all');
    assert.deepEqual(z.ids, ['d-1', 'd-3']);
  } finally {
    await close();
  }
});

test('an expired session brings sign-in back over the screen, and what was on screen stays', async () => {
  const { page, close } = await mariaOpen();
  try {
    await page.getByRole('radio', { name: /^X-Ray/ }).click();
    await page.evaluate(() => window.__fake.failNext('list_documents', 'unauthorized', 'Your session has ended. Sign in again.'));
    await page.getByLabel('Sort by').selectOption('uploader');
    await page.getByText('Your session has ended').or(page.getByRole('heading', { name: /Sign in/ })).first().waitFor();
    assert.equal(await page.getByLabel('Email').inputValue(), 'doctor@demo.clinic');
    assert.equal(await page.locator('.shell').getAttribute('inert'), '', 'the screen behind is inert');
    await noSeriousViolations(page, 'the sign-in overlay');
    await page.getByLabel('Password').fill('demo');
    await page.getByLabel('Password').press('Enter');
    await page.getByLabel('Password').waitFor({ state: 'detached' });
    await page.getByRole('heading', { level: 1, name: 'Maria Garcia' }).waitFor();
    assert.equal(await page.getByRole('radio', { name: /^X-Ray/ }).getAttribute('aria-checked'), 'true', 'the filter stays');
    assert.equal(await page.getByLabel('Sort by').inputValue(), 'uploader');
  } finally {
    await close();
  }
});

test('keyboard: Tab reaches every action of a document with a visible focus ring, in reading order', async () => {
  const { page, close } = await mariaOpen({ role: 'admin' });
  try {
    await page.getByTestId('document').first().waitFor();
    // Five actions for an admin, and each stays on its own card (found in the real window: the
    // added Share pushed Delete under the next card, where a click could not reach it).
    const spilled = await page.getByTestId('document').evaluateAll((cards) =>
      cards.flatMap((c) => {
        const b = c.getBoundingClientRect();
        return [...c.querySelectorAll('button')]
          .filter((x) => { const r = x.getBoundingClientRect(); return r.right > b.right + 0.5 || r.bottom > b.bottom + 0.5; })
          .map((x) => x.getAttribute('aria-label'));
      }),
    );
    assert.deepEqual(spilled, [], 'every action stays on its card');
    await page.getByRole('button', { name: 'Open Chest X-ray PA' }).focus();
    const seen = [];
    for (let i = 0; i < 5; i += 1) {
      const f = await page.evaluate(() => {
        const el = document.activeElement;
        const s = getComputedStyle(el);
        return { label: el.getAttribute('aria-label') ?? el.textContent.trim(), outline: s.outlineStyle, width: s.outlineWidth, shadow: s.boxShadow };
      });
      assert.ok(f.outline !== 'none' && f.width !== '0px' ? true : f.shadow !== 'none', `visible focus on ${f.label}`);
      seen.push(f.label);
      await page.keyboard.press('Tab');
    }
    assert.deepEqual(seen, ['Open Chest X-ray PA', 'Edit Chest X-ray PA', 'Share Chest X-ray PA', 'History of Chest X-ray PA', 'Delete Chest X-ray PA'], 'the one that cannot be undone comes last');
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Open Blood panel', 'then the next document');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Delete “Chest X-ray PA”?' }).waitFor();
  } finally {
    await close();
  }
});

test('closing the window with uploads unsent asks first; Keep open is the default', async () => {
  const { page, close } = await app({ signedIn: true });
  try {
    await page.getByTestId('storage-gauge').waitFor();
    await page.evaluate(() => window.__fake.emit('close-with-unsent', { uploads: 3, marks: 0, phrase: '3 uploads' }));
    const ask = page.getByRole('dialog', { name: 'Close with 3 uploads not sent?' });
    await ask.getByText('They stay safely on this computer').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Keep open');
    await noSeriousViolations(page, 'the close warning');
    await page.keyboard.press('Enter');
    await ask.waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => window.__closed ?? false), false, 'kept open');
    await page.evaluate(() => window.__fake.emit('close-with-unsent', { uploads: 1, marks: 2, phrase: '1 upload and 2 mark changes' }));
    await page.getByRole('dialog', { name: 'Close with 1 upload and 2 mark changes not sent?' }).getByTestId('close-anyway').click();
    await page.waitForFunction(() => window.__closed === true);
  } finally {
    await close();
  }
});

test('opening while the server is down: working offline is said, files can still be queued, Try again goes back online', async () => {
  const scan = '/scans/referral.pdf';
  const { page, close } = await app({
    signedIn: true,
    offline: true,
    recent: ['p-maria'],
    picks: [[scan]],
    files: { [scan]: { size: 5000, content_type: 'application/pdf' } },
  });
  try {
    const banner = page.getByRole('status').filter({ hasText: 'Working offline' });
    await banner.waitFor();
    // A patient opened here before opens from what this computer kept; their list cannot be read.
    await page.getByRole('button', { name: /Maria Garcia/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Maria Garcia' }).waitFor();
    await page.getByTestId('documents-offline').waitFor();
    assert.equal(await page.getByRole('alert').count(), 0, 'no error on top of the offline notes');
    await page.getByTestId('open-upload').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByTestId('choose-file').click();
    await dialog.getByText('referral.pdf').waitFor();
    await dialog.getByLabel('Document type (required)').selectOption('referral');
    await dialog.getByRole('button', { name: 'Upload' }).click();
    await page.getByTestId('queue-item').filter({ hasText: 'referral' }).and(page.locator('[data-state=waiting]')).waitFor();
    await noSeriousViolations(page, 'working offline');
    await page.evaluate(() => {
      window.__fake.offline = false;
    });
    await banner.getByRole('button', { name: 'Try again' }).click();
    await banner.waitFor({ state: 'detached' });
    assert.ok((await callsTo(page, 'recent_patients')).length >= 2, 'back online, the lists are read again');
  } finally {
    await close();
  }
});

test('drag and drop: a folder with good and bad files opens a review sheet that names each bad file and sends nothing until only good files are chosen', async () => {
  const { page, close } = await mariaOpen({ role: 'receptionist' });
  try {
    await page.evaluate(() => {
      window.__fake.drop(
        [
          { path: '/scans/visit/page 1.jpg', size: 310000, content_type: 'image/jpeg' },
          { path: '/scans/visit/report.pdf', size: 4000, problems: [{ code: 'executable_refused', message: 'This file is a program, not a document, and cannot be uploaded.' }] },
          { path: '/scans/visit/page 2.jpg', size: 305000, content_type: 'image/jpeg' },
          { path: '/scans/visit/locked.pdf', size: 52000, problems: [{ code: 'password_protected_pdf', message: 'This PDF is password-protected. Save it without a password, then upload it.' }] },
          { path: '/scans/visit/mri.tiff', size: 14 * 1024 * 1024, problems: [{ code: 'file_too_large', message: 'This file is 14.0 MB; the limit is 10 MB per file.' }] },
          { path: '/scans/visit/referral.pdf', size: 88000, content_type: 'application/pdf' },
        ],
        [{ path: '/scans/visit/.DS_Store', reason: 'hidden' }, { path: '/scans/visit/Thumbs.db', reason: 'a system or temporary file' }],
      );
    });
    const sheet = page.getByTestId('import-sheet');
    await sheet.waitFor();
    assert.equal(await page.getByRole('heading', { name: 'Import 6 files' }).count(), 1);
    assert.equal(await sheet.getByTestId('import-patient').innerText(), 'Maria Garcia', 'the open patient is the default');
    assert.match(await sheet.getByText(/left out/).innerText(), /2 items left out/);
    const row = (name) => sheet.locator(`[data-testid=import-row][data-file="${name}"]`);
    assert.match(await row('report.pdf').innerText(), /a program, not a document/);
    assert.match(await row('locked.pdf').innerText(), /password-protected/);
    assert.match(await row('mri.tiff').innerText(), /14\.0 MB; the limit is 10 MB/);
    assert.equal(await row('page 1.jpg').getAttribute('data-problems'), '');
    assert.equal(await sheet.getByLabel('Name for page 2.jpg').inputValue(), 'page 2', 'names come from the file names');

    // A visit that already holds 2 documents takes 3 more: with 6 chosen, the 4th onwards is over.
    await sheet.getByTestId('import-visit').selectOption('e-2');
    await page.waitForFunction(() => document.querySelector('[data-file="mri.tiff"]')?.dataset.problems.includes('visit_limit_reached'));
    await sheet.getByTestId('import-type-all').selectOption('insurance');
    assert.equal(await sheet.getByTestId('import-send').isDisabled(), true, 'nothing is sent while a chosen file has a problem');
    assert.match(await sheet.getByTestId('import-verdict').innerText(), /Nothing is sent until every chosen file can go/);
    await noSeriousViolations(page, 'the import review sheet with bad files');

    await sheet.getByTestId('import-drop-bad').click();
    await page.waitForFunction(() => document.querySelector('[data-file="referral.pdf"]')?.dataset.problems === '');
    await sheet.getByLabel('Type of referral.pdf').selectOption('referral');
    await sheet.getByLabel('Name for page 1.jpg').fill('Insurance card front');
    const send = sheet.getByTestId('import-send');
    assert.match(await send.innerText(), /Send 3 files/);
    await send.click();
    await sheet.waitFor({ state: 'detached' });
    await page.getByTestId('import-notice').filter({ hasText: '3 files are in the upload queue for Maria Garcia' }).waitFor();
    const [call] = await callsTo(page, 'queue_import');
    assert.deepEqual(call.request, {
      patient_id: 'p-maria',
      encounter_id: 'e-2',
      files: [
        { index: 0, title: 'Insurance card front', category: 'insurance' },
        { index: 2, title: 'page 2', category: 'insurance' },
        { index: 5, title: 'referral', category: 'referral' },
      ],
    });
    await page.waitForFunction(() => ['Insurance card front', 'page 2', 'referral'].every((t) => [...document.querySelectorAll('[data-testid=document]')].some((d) => d.dataset.title === t)));
  } finally {
    await close();
  }
});

test('drag and drop: Esc puts the sheet away and sends nothing; a drop of only system files says there is nothing to import', async () => {
  const { page, close } = await mariaOpen({ role: 'receptionist' });
  try {
    await page.evaluate(() => window.__fake.drop([{ path: '/scans/a.pdf', size: 1000, content_type: 'application/pdf' }]));
    await page.getByTestId('import-sheet').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('import-sheet').waitFor({ state: 'detached' });
    assert.equal((await callsTo(page, 'cancel_import')).length, 1);
    assert.equal((await callsTo(page, 'queue_import')).length, 0);
    await page.evaluate(() => window.__fake.drop([], [{ path: '/scans/.DS_Store', reason: 'hidden' }]));
    await page.getByRole('alert').filter({ hasText: 'Nothing to import: the dropped item was hidden, system or unreadable files.' }).waitFor();
    assert.equal(await page.getByTestId('import-sheet').count(), 0);
    // A drop of 60 pages is more than one all-or-nothing batch: the sheet says how it goes.
    await page.evaluate(() =>
      window.__fake.drop(Array.from({ length: 60 }, (_, i) => ({ path: `/scans/box/page ${i + 1}.pdf`, size: 1000, content_type: 'application/pdf' }))),
    );
    const sheet = page.getByTestId('import-sheet');
    await sheet.getByTestId('import-type-all').selectOption('insurance');
    assert.equal(
      await sheet.getByTestId('import-batches').innerText(),
      'These 60 files go as 2 batches of up to 50. Each batch is stored whole or not at all, so if one is refused, the others may already be stored.',
    );
  } finally {
    await close();
  }
});

test('scanner folder: chosen once, scans listed with thumbnails, put in order and turned, combined into one PDF for the open patient', async () => {
  const first = await mariaOpen({ role: 'receptionist' });
  try {
    const inbox = first.page.getByTestId('scanned');
    await inbox.getByText('Choose the folder your scanner saves into').waitFor();
    await inbox.getByTestId('choose-scanner-folder').click();
    await inbox.getByText('/srv/scans/front-desk').waitFor();
    await inbox.getByText('No new scans.').waitFor();
  } finally {
    await first.close();
  }

  const { page, close } = await mariaOpen({
    role: 'receptionist',
    scanned: {
      folder: '/srv/scans/front-desk',
      growing: 1,
      files: [
        { path: '/srv/scans/front-desk/scan 1.jpg' },
        { path: '/srv/scans/front-desk/scan 2.jpg' },
        { path: '/srv/scans/front-desk/scan 3.pdf', content_type: 'application/pdf' },
      ],
    },
  });
  try {
    const inbox = page.getByTestId('scanned');
    await inbox.getByRole('heading', { name: 'Scanned (3)' }).waitFor();
    await inbox.getByText('1 scan still arriving…').waitFor();
    assert.equal(await inbox.getByRole('button', { name: 'Turn scan 3.pdf clockwise' }).count(), 0, 'a PDF is not turned here');
    await inbox.getByRole('button', { name: 'Turn scan 1.jpg clockwise' }).click();
    await inbox.getByRole('button', { name: 'Move scan 2.jpg up' }).click();
    const order = await inbox.getByTestId('scan').evaluateAll((els) => els.map((e) => `${e.dataset.file}:${e.dataset.turns}`));
    assert.deepEqual(order, ['scan 2.jpg:0', 'scan 1.jpg:1', 'scan 3.pdf:0']);
    await inbox.getByLabel('Choose scan 2.jpg').check();
    await inbox.getByLabel('Choose scan 1.jpg').check();
    await noSeriousViolations(page, 'the Scanned inbox');
    await inbox.getByTestId('send-scans').click();
    const sheet = page.getByTestId('scan-sheet');
    await sheet.waitFor();
    assert.equal(await sheet.getByLabel(/Combine the 2 pages into one PDF/).isChecked(), true, 'pictures are combined by default');
    await sheet.getByRole('button', { name: 'Send' }).click();
    await sheet.getByText('Choose the document type.').waitFor();
    await sheet.getByLabel('Document type (required)').selectOption('referral');
    await sheet.getByLabel('Name').fill('Referral from Dr Osei');
    await noSeriousViolations(page, 'sending scanned pages');
    await sheet.getByRole('button', { name: 'Send' }).click();
    await sheet.waitFor({ state: 'detached' });
    const [call] = await callsTo(page, 'queue_scanned');
    assert.deepEqual(call.request, {
      pages: [
        { path: '/srv/scans/front-desk/scan 2.jpg', quarter_turns: 0 },
        { path: '/srv/scans/front-desk/scan 1.jpg', quarter_turns: 1 },
      ],
      combine: true,
      patient_id: 'p-maria',
      encounter_id: null,
      category: 'referral',
      title: 'Referral from Dr Osei',
    });
    await inbox.getByRole('heading', { name: 'Scanned (1)' }).waitFor();
    await page.getByTestId('import-notice').filter({ hasText: '“Referral from Dr Osei” is in the upload queue for Maria Garcia.' }).waitFor();
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=document]')].some((d) => d.dataset.title === 'Referral from Dr Osei'));
  } finally {
    await close();
  }
});

test('a refused upload can be sent to another patient and visit instead', async () => {
  const ok = '/scans/referral.pdf';
  const { page, close } = await mariaOpen({ role: 'receptionist', picks: [[ok]], files: { [ok]: { size: 9000, content_type: 'application/pdf' } } });
  try {
    await page.getByTestId('open-upload').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByTestId('choose-file').click();
    await dialog.getByText('referral.pdf').waitFor();
    await dialog.getByLabel('Document type (required)').selectOption('referral');
    await page.evaluate(() => {
      window.__fake.refuseNext = { code: 'not_found', message: 'This patient is not in this clinic.' };
    });
    await dialog.getByRole('button', { name: 'Upload' }).click();
    const item = page.getByTestId('queue-item').filter({ hasText: 'referral' });
    await item.getByRole('alert').filter({ hasText: 'This patient is not in this clinic.' }).waitFor();
    assert.match(await item.getByTestId('queue-thumb').getAttribute('src'), /clinicdocs\.localhost\/queued\/q-\d+$/, 'the queued copy as thumbnail');
    await item.getByRole('button', { name: 'Other patient or visit…' }).click();
    const sheet = page.getByTestId('move-sheet');
    const search = sheet.getByRole('combobox', { name: 'Find a patient' });
    await search.fill('aisha');
    await sheet.getByRole('option', { name: /Aisha Khan/ }).waitFor();
    await search.press('Enter');
    await sheet.getByText('Aisha Khan').waitFor();
    await noSeriousViolations(page, 'sending a refused upload to another patient');
    await sheet.getByRole('button', { name: 'Send again' }).click();
    await sheet.waitFor({ state: 'detached' });
    const [resent] = await callsTo(page, 'queue_resend');
    assert.deepEqual(resent.change, { patient_id: 'p-aisha', encounter_id: null, category: null, title: null });
    await item.getByText('Sent', { exact: true }).waitFor();
    assert.match(await item.getByTestId('queue-thumb').getAttribute('src'), /\/thumb\/d-\d+$/, 'once sent, the stored document');
  } finally {
    await close();
  }
});

/** The stage-relative screen point of a page point, from where the page image really is. */
async function expectedOnScreen(page, p) {
  return page.evaluate(({ x, y }) => {
    const img = document.querySelector('[data-testid=viewer-image]').getBoundingClientRect();
    const layer = document.querySelector('[data-testid=annotation-layer]').getBoundingClientRect();
    return { x: img.left - layer.left + x * img.width, y: img.top - layer.top + y * img.height };
  }, p);
}

/** Page coordinates (0..1) of a screen position over the page image. */
async function pageAt(page, screen) {
  return page.evaluate(({ x, y }) => {
    const img = document.querySelector('[data-testid=viewer-image]').getBoundingClientRect();
    return { x: (x - img.left) / img.width, y: (y - img.top) / img.height };
  }, screen);
}

/**
 * Zooms in, further in, out and back to fit from the keyboard, calling `check` (with the keys
 * just pressed) after each step; the zoom shown must really have changed.
 */
async function atEveryZoom(page, viewer, check) {
  const zooms = new Set();
  for (const zoomKeys of [[], ['+', '+'], ['+', '+', '+'], ['-', '-', '-', '-', '-', '-'], ['0']]) {
    for (const k of zoomKeys) await page.keyboard.press(k);
    await page.waitForTimeout(50);
    zooms.add(await viewer.locator('.tools [aria-live=polite]').textContent());
    await check(zoomKeys.join('') || 'nothing');
  }
  assert.ok(zooms.size >= 4, `the keys really zoomed: ${[...zooms]}`);
}

async function drag(page, from, to, steps = 6) {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(to.x, to.y, { steps });
  await page.mouse.up();
}

test('annotations: each kind drawn with the mouse stays within 1 px of its page spot at any zoom; undo, redo, delete; a colleague\'s newer change is not overwritten', async () => {
  const { page, close } = await mariaOpen({ role: 'doctor' });
  try {
    const { viewer, P } = await openXray(page);
    const tools = viewer.getByRole('toolbar', { name: 'Annotation tools' });
    const status = viewer.getByTestId('annotation-status');

    await tools.getByRole('button', { name: 'Arrow' }).click();
    const a0 = P(0.2, 0.3);
    const a1 = P(0.6, 0.7);
    await drag(page, a0, a1);
    await status.filter({ hasText: 'Saved' }).waitFor();
    await page.keyboard.press('m');
    await page.mouse.click(P(0.8, 0.2).x, P(0.8, 0.2).y);
    await page.keyboard.press('p');
    await page.mouse.move(P(0.1, 0.8).x, P(0.1, 0.8).y);
    await page.mouse.down();
    for (const [fx, fy] of [[0.15, 0.85], [0.2, 0.8], [0.25, 0.85], [0.3, 0.8]]) await page.mouse.move(P(fx, fy).x, P(fx, fy).y, { steps: 3 });
    await page.mouse.up();
    await page.keyboard.press('g');
    await drag(page, P(0.45, 0.1), P(0.7, 0.25));
    await page.keyboard.press('l');
    await drag(page, P(0.1, 0.5), P(0.4, 0.5));
    await page.keyboard.press('t');
    await page.mouse.click(P(0.5, 0.9).x, P(0.5, 0.9).y);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=mark]').length === 6);
    await page.keyboard.press('Escape'); // out of the new note's box: keys go to the viewer again
    await status.filter({ hasText: 'Saved' }).waitFor();
    assert.equal((await callsTo(page, 'create_annotation')).length, 6, 'each mark saved as drawn');
    const kinds = await viewer.getByTestId('mark').evaluateAll((els) => els.map((e) => e.dataset.kind).sort());
    assert.deepEqual(kinds, ['arrow', 'drawing', 'highlight', 'marker', 'measure', 'text']);
    await noSeriousViolations(page, 'annotations in the viewer');

    // Where the arrow was drawn, in page coordinates, and where it must appear at any zoom.
    const from = await pageAt(page, a0);
    const to = await pageAt(page, a1);
    // Where the browser actually draws them, in the layer's pixels (through every transform).
    const arrowEnds = () =>
      page.evaluate(() => {
        const l = document.querySelector('[data-testid=mark][data-kind=arrow] line');
        const box = document.querySelector('[data-testid=annotation-layer]').getBoundingClientRect();
        const m = l.getScreenCTM();
        const a = new DOMPoint(+l.getAttribute('x1'), +l.getAttribute('y1')).matrixTransform(m);
        const b = new DOMPoint(+l.getAttribute('x2'), +l.getAttribute('y2')).matrixTransform(m);
        return { x1: a.x - box.left, y1: a.y - box.top, x2: b.x - box.left, y2: b.y - box.top };
      });
    const pin = () =>
      page.evaluate(() => {
        const c = document.querySelector('[data-testid=mark][data-kind=marker] circle');
        const box = document.querySelector('[data-testid=annotation-layer]').getBoundingClientRect();
        const p = new DOMPoint(+c.getAttribute('cx'), +c.getAttribute('cy')).matrixTransform(c.getScreenCTM());
        return { x: p.x - box.left, y: p.y - box.top };
      });
    const pinAt = await pageAt(page, P(0.8, 0.2));
    await page.keyboard.press('h'); // pan tool: the wheel and keys move the page
    await atEveryZoom(page, viewer, async (after) => {
      const ends = await arrowEnds();
      const e0 = await expectedOnScreen(page, from);
      const e1 = await expectedOnScreen(page, to);
      for (const [got, want] of [[ends.x1, e0.x], [ends.y1, e0.y], [ends.x2, e1.x], [ends.y2, e1.y]]) {
        assert.ok(Math.abs(got - want) <= 1, `after ${after}: ${got} vs ${want}`);
      }
      const c = await pin();
      const cw = await expectedOnScreen(page, pinAt);
      assert.ok(Math.abs(c.x - cw.x) <= 1 && Math.abs(c.y - cw.y) <= 1, `pin ${JSON.stringify(c)} vs ${JSON.stringify(cw)}`);
    });
    await page.keyboard.down('Shift');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.up('Shift');
    const panned = await arrowEnds();
    const pe = await expectedOnScreen(page, from);
    assert.ok(Math.abs(panned.x1 - pe.x) <= 1, 'panned too');

    // Undo and redo from the keyboard, across kinds.
    await page.keyboard.press('Control+z');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=mark]').length === 5);
    await page.keyboard.press('Control+z');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=mark]').length === 4);
    await page.keyboard.press('Control+Shift+z');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=mark]').length === 5);
    await status.filter({ hasText: 'Saved' }).waitFor();
    assert.equal(await page.evaluate(() => window.__fake.annotations().length), 5, 'the server holds what the screen shows');

    // Zoomed in on the bottom of the page, a click on the arrow in the list brings it into sight.
    for (let i = 0; i < 4; i += 1) await page.keyboard.press('+');
    for (let i = 0; i < 12; i += 1) await page.keyboard.press('Shift+ArrowUp');
    const offScreen = await arrowEnds();
    const layerBox = await viewer.getByTestId('annotation-layer').boundingBox();
    const inside = (e) => [e.x1, e.x2].every((x) => x >= 0 && x <= layerBox.width) && [e.y1, e.y2].every((y) => y >= 0 && y <= layerBox.height);
    assert.ok(!inside(offScreen), `the arrow is out of sight first: ${JSON.stringify(offScreen)}`);
    await viewer.getByTestId('mark-item').filter({ hasText: 'Arrow' }).click();
    const inSight = await arrowEnds();
    const mid = { x: (inSight.x1 + inSight.x2) / 2, y: (inSight.y1 + inSight.y2) / 2 };
    assert.ok(Math.abs(mid.x - layerBox.width / 2) < 2 && Math.abs(mid.y - layerBox.height / 2) < 2, `centred: ${JSON.stringify(mid)} in ${layerBox.width}×${layerBox.height}`);
    // Then delete it with the Delete key.
    await page.keyboard.press('Delete');
    await page.waitForFunction(() => !document.querySelector('[data-testid=mark][data-kind=arrow]'));
    await status.filter({ hasText: 'Saved' }).waitFor();

    await page.keyboard.press('0'); // fit the page again
    // A colleague changed the highlight meanwhile: moving it is refused and theirs is shown.
    const hlId = await page.evaluate(() => document.querySelector('[data-testid=mark][data-kind=highlight]').dataset.id);
    await page.evaluate((id) => window.__fake.editElsewhere(id), hlId);
    await page.keyboard.press('v');
    const hl = await page.locator('[data-testid=mark][data-kind=highlight] rect').boundingBox();
    await drag(page, { x: hl.x + hl.width / 2, y: hl.y + hl.height / 2 }, { x: hl.x + hl.width / 2 + 40, y: hl.y + hl.height / 2 + 30 });
    await viewer.getByTestId('annotation-message').filter({ hasText: 'Someone else changed this annotation' }).waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid=mark][data-kind=highlight] rect')?.getAttribute('fill') === '#00ff00');
    assert.equal(await page.evaluate((id) => window.__fake.annotations().find((a) => a.id === id).text, hlId), 'changed by a colleague');

    await viewer.getByTestId('export-annotated').click();
    await viewer.getByTestId('export-status').filter({ hasText: 'Saved with its marks to /home/doctor/Downloads/Knee X-ray - annotated.png' }).waitFor();
  } finally {
    await close();
  }
});

test('annotations made while the server is unreachable are kept on this computer and sent when it is back; one a colleague overtook is refused, not applied', async () => {
  const { page, close } = await mariaOpen({ role: 'doctor' });
  try {
    const { viewer, P } = await openXray(page);
    const status = viewer.getByTestId('annotation-status');
    await page.keyboard.press('m');
    await page.mouse.click(P(0.3, 0.3).x, P(0.3, 0.3).y);
    await status.filter({ hasText: /^Saved$/ }).waitFor();

    await page.evaluate(() => (window.__fake.offline = true));
    await page.keyboard.press('a');
    await drag(page, P(0.5, 0.5), P(0.7, 0.6));
    await status.filter({ hasText: 'Saved on this computer — sent when the server is back' }).waitFor();
    // The pin moved offline too, while a colleague changes it on the server.
    await page.keyboard.press('v');
    await drag(page, P(0.3, 0.3), P(0.35, 0.4));
    await status.filter({ hasText: 'Saved on this computer' }).waitFor();
    const pinId = await page.evaluate(() => document.querySelector('[data-testid=mark][data-kind=marker]').dataset.id);
    await page.evaluate((id) => window.__fake.editElsewhere(id), pinId);
    assert.equal(await page.evaluate(() => window.__fake.pendingMarks().length), 2, 'both changes kept');
    assert.equal(await page.evaluate(() => window.__fake.annotations().length), 1, 'nothing reached the server yet');
    assert.equal(await viewer.getByTestId('mark').count(), 2, 'the offline marks stay on screen');
    await noSeriousViolations(page, 'annotations kept offline');
    await page.getByTestId('mark-changes').getByText('2 mark changes are kept on this computer').waitFor();

    await page.evaluate(() => window.__fake.syncMarks());
    await viewer.getByTestId('annotation-message').filter({ hasText: 'someone else changed that mark meanwhile' }).waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid=mark][data-kind=marker] circle')?.getAttribute('fill') === '#00ff00');
    const arrowId = await page.evaluate(() => document.querySelector('[data-testid=mark][data-kind=arrow]').dataset.id);
    const stored = await page.evaluate(() => window.__fake.annotations().map((a) => ({ id: a.id, kind: a.kind, text: a.text })));
    assert.deepEqual(stored.map((a) => a.kind).sort(), ['arrow', 'marker'], 'the arrow arrived once');
    assert.equal(stored.find((a) => a.kind === 'arrow').id, arrowId, 'with the id the screen gave it');
    assert.equal(stored.find((a) => a.kind === 'marker').text, 'changed by a colleague', "the colleague's edit is kept");
    // The sidebar keeps the refusal until it is dismissed.
    await viewer.press('Escape');
    const refusal = page.getByTestId('mark-refused');
    await refusal.getByText('someone else changed that mark meanwhile').waitFor();
    await noSeriousViolations(page, 'a refused mark change in the sidebar');
    await refusal.getByRole('button', { name: 'Dismiss' }).click();
    await page.getByTestId('mark-changes').waitFor({ state: 'detached' });
  } finally {
    await close();
  }
});

test('a length on a picture that states its pixel spacing reads in millimetres and in the picture\'s own pixels', async () => {
  // The X-ray is 2000 × 1500 pixels of 0.1 mm, shown much smaller.
  const { page, close } = await mariaOpen({ role: 'doctor', scale: { width: 2000, height: 1500, spacing: { x: 0.1, y: 0.1 } } });
  try {
    const { viewer, P } = await openXray(page);
    await page.keyboard.press('l');
    await drag(page, P(0.1, 0.5), P(0.4, 0.5));
    const label = await page.locator('[data-testid=mark][data-kind=measure] text').textContent();
    const m = /^(\d+\.\d) mm \((\d+) px\)$/.exec(label);
    assert.ok(m, `labelled in mm and px: ${label}`);
    const [mm, px] = [Number(m[1]), Number(m[2])];
    assert.ok(Math.abs(px - 600) <= 6, `0.3 of 2000 pixels: ${px}`);
    assert.ok(Math.abs(mm - px * 0.1) <= 0.1, `0.1 mm each: ${mm} mm for ${px} px`);
  } finally {
    await close();
  }
});

test('an angle: a drag draws its first arm, a click ends the second; it stays on its page spots at any zoom, reads in the picture\'s real proportions, and Esc drops a half-drawn one', async () => {
  // Pixels twice as tall as wide (0.1 × 0.2 mm): page fractions alone would read the angle wrong.
  const scale = { width: 2000, height: 1500, spacing: { x: 0.1, y: 0.2 } };
  const { page, close } = await mariaOpen({ role: 'doctor', scale });
  try {
    const { viewer, P } = await openXray(page);
    const tools = viewer.getByRole('toolbar', { name: 'Annotation tools' });
    await tools.getByRole('button', { name: 'Angle' }).click();
    const [s0, s1, s2] = [P(0.2, 0.25), P(0.5, 0.7), P(0.85, 0.35)];
    // A half-drawn angle: Esc drops it and leaves the viewer open.
    await drag(page, s0, s1);
    await viewer.getByTestId('angle-hint').waitFor();
    await page.keyboard.press('Escape');
    await viewer.getByTestId('angle-hint').waitFor({ state: 'detached' });
    assert.equal(await page.locator('.draft').count(), 0, 'nothing half-drawn is left');
    assert.ok(await viewer.isVisible(), 'Esc dropped the angle, not the viewer');

    await page.keyboard.press('n');
    await drag(page, s0, s1);
    await page.mouse.move(s2.x, s2.y, { steps: 4 });
    assert.equal(await page.locator('.draft polyline').count(), 1, 'the second arm follows the pointer');
    await noSeriousViolations(page, 'an angle waiting for its second arm');
    await page.mouse.click(s2.x, s2.y);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=mark][data-kind=angle]').length === 1);
    await viewer.getByTestId('annotation-status').filter({ hasText: 'Saved' }).waitFor();
    const [made] = await callsTo(page, 'create_annotation');
    assert.equal(made.annotation.kind, 'angle');

    // The degrees, computed here in millimetres from where the mouse really was on the page.
    const [f, v, t] = [await pageAt(page, s0), await pageAt(page, s1), await pageAt(page, s2)];
    const mm = (p) => ({ x: (p.x - v.x) * scale.width * scale.spacing.x, y: (p.y - v.y) * scale.height * scale.spacing.y });
    const [a, b] = [mm(f), mm(t)];
    const want = (Math.acos((a.x * b.x + a.y * b.y) / (Math.hypot(a.x, a.y) * Math.hypot(b.x, b.y))) * 180) / Math.PI;
    const label = await page.locator('[data-testid=mark][data-kind=angle] text').textContent();
    const m = /^(\d+\.\d)°$/.exec(label);
    assert.ok(m, `labelled in degrees: ${label}`);
    assert.ok(Math.abs(Number(m[1]) - want) <= 0.3, `${label} vs ${want.toFixed(2)}° in millimetres`);
    const flat = (Math.acos(((f.x - v.x) * (t.x - v.x) + (f.y - v.y) * (t.y - v.y)) / (Math.hypot(f.x - v.x, f.y - v.y) * Math.hypot(t.x - v.x, t.y - v.y))) * 180) / Math.PI;
    assert.ok(Math.abs(flat - want) > 5, `the test tells real proportions from page fractions (${flat.toFixed(1)}° vs ${want.toFixed(1)}°)`);

    const corners = () =>
      page.evaluate(() => {
        const l = document.querySelector('[data-testid=mark][data-kind=angle] polyline');
        const box = document.querySelector('[data-testid=annotation-layer]').getBoundingClientRect();
        const m = l.getScreenCTM();
        return l.getAttribute('points').trim().split(/\s+/).map((xy) => {
          const [x, y] = xy.split(',').map(Number);
          const p = new DOMPoint(x, y).matrixTransform(m);
          return { x: p.x - box.left, y: p.y - box.top };
        });
      });
    await page.keyboard.press('h');
    await atEveryZoom(page, viewer, async (after) => {
      const got = await corners();
      for (const [i, p] of [f, v, t].entries()) {
        const e = await expectedOnScreen(page, p);
        assert.ok(Math.abs(got[i].x - e.x) <= 1 && Math.abs(got[i].y - e.y) <= 1, `after ${after}, point ${i}: ${JSON.stringify(got[i])} vs ${JSON.stringify(e)}`);
      }
    });

    // The vertex moved by its handle: saved as an update, the degrees read again.
    await page.keyboard.press('v');
    const vs = (await corners())[1];
    const box = await viewer.getByTestId('annotation-layer').boundingBox();
    const at = { x: box.x + vs.x, y: box.y + vs.y };
    await page.mouse.click(at.x, at.y);
    await drag(page, at, { x: at.x, y: at.y - 60 });
    await viewer.getByTestId('annotation-status').filter({ hasText: 'Saved' }).waitFor();
    const moved = await callsTo(page, 'update_annotation');
    assert.equal(moved.length, 1, 'the moved vertex is saved once');
    const after = await page.locator('[data-testid=mark][data-kind=angle] text').textContent();
    assert.notEqual(after, label, 'the degrees follow the vertex');
  } finally {
    await close();
  }
});

test('a text note is typed as soon as it is placed; Esc leaves the note box, not the viewer; Enter edits a chosen mark\'s comment', async () => {
  const { page, close } = await mariaOpen({ role: 'doctor' });
  try {
    const { viewer, P } = await openXray(page);
    await page.keyboard.press('t');
    await page.mouse.click(P(0.4, 0.4).x, P(0.4, 0.4).y);
    const note = viewer.getByRole('textbox', { name: 'Note' });
    await page.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'Note');
    await page.keyboard.type('Effusion');
    await page.waitForFunction(() => document.querySelector('[data-testid=mark][data-kind=text] text')?.textContent === 'Effusion');
    await viewer.getByTestId('annotation-status').filter({ hasText: /^Saved$/ }).waitFor();
    await page.waitForFunction(() => window.__fake.annotations().some((a) => a.kind === 'text' && a.text === 'Effusion'));
    await page.keyboard.press('Escape');
    assert.notEqual(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Note', 'out of the box');
    assert.ok(await viewer.isVisible(), 'the viewer stays open');
    // A pin chosen from the list: Enter goes to its comment.
    await page.keyboard.press('m');
    await page.mouse.click(P(0.6, 0.6).x, P(0.6, 0.6).y);
    await viewer.getByTestId('annotation-status').filter({ hasText: /^Saved$/ }).waitFor();
    await page.keyboard.press('v');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'Comment');
    assert.equal(await note.count(), 0, 'only the chosen mark has its box open');
  } finally {
    await close();
  }
});

test('annotations are read-only for a role that may not annotate', async () => {
  const first = await mariaOpen({ role: 'doctor' });
  await first.close();
  const { page, close } = await mariaOpen({ role: 'receptionist' });
  try {
    await page.getByRole('button', { name: 'Open Insurance card' }).click();
    const viewer = page.getByRole('dialog', { name: 'Document viewer' });
    await viewer.getByText('Marks are read-only for your role.').waitFor();
    assert.equal(await viewer.getByRole('button', { name: 'Arrow' }).count(), 0, 'no drawing tools');
    assert.equal(await page.evaluate(() => document.querySelector('[data-testid=annotation-layer]').classList.contains('active')), false);
  } finally {
    await close();
  }
});

/** The grey level at the middle of the picture the viewer shows (fetched again, decoded). */
const middleGrey = (page) =>
  page.evaluate(async () => {
    const src = document.querySelector('[data-testid=viewer-image]').src;
    const bitmap = await createImageBitmap(await (await fetch(src)).blob());
    const c = new OffscreenCanvas(bitmap.width, bitmap.height);
    const g = c.getContext('2d');
    g.drawImage(bitmap, 0, 0);
    return g.getImageData(c.width >> 1, c.height >> 1, 1, 1).data[0];
  });

const frameSrc = (page) => page.getByTestId('viewer-image').getAttribute('src');

test('DICOM viewer: what the file says, frames, window presets, the window tool and reset, all keeping the zoom', async () => {
  const { page, close, errors } = await mariaOpen({ dicom: true });
  try {
    await page.getByRole('button', { name: 'Open CT head' }).click();
    const viewer = page.getByRole('dialog', { name: 'Document viewer' });
    await page.waitForFunction(() => document.querySelector('[data-testid=viewer-image]')?.naturalWidth > 0);
    assert.match(await frameSrc(page), /\/dicom\/d-6\/0$/, "first frame at the file's own window");
    const details = await viewer.getByTestId('dicom-details').innerText();
    assert.match(details, /File says: MARIA GARCIA \(GARCIA\^MARIA\) · ID MRN-0042 · CT · HEAD · 2026-11-30 · Axial 5 mm/);
    assert.equal(await viewer.getByTestId('viewer-window').innerText(), 'W 400 · C 40');
    await noSeriousViolations(page, 'the viewer on a DICOM CT');

    // Frames step with Page Down / Page Up and the slider.
    await page.keyboard.press('PageDown');
    await viewer.getByTestId('viewer-frame').filter({ hasText: 'Frame 2 of 3' }).waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid=viewer-image]')?.src.endsWith('/dicom/d-6/1'));
    await viewer.getByRole('slider', { name: 'Frame' }).fill('3');
    await viewer.getByTestId('viewer-frame').filter({ hasText: 'Frame 3 of 3' }).waitFor();
    await viewer.getByRole('button', { name: 'Previous frame (Page Up)' }).click();
    await viewer.getByTestId('viewer-frame').filter({ hasText: 'Frame 2 of 3' }).waitFor();

    // Zoomed in, a preset redraws the frame at its window and keeps the zoom.
    await viewer.getByTestId('viewer-image').waitFor();
    await page.keyboard.press('+');
    const zoomed = await viewer.getByText(/^\d+%$/).innerText();
    const before = await middleGrey(page);
    await viewer.getByRole('combobox', { name: 'Window preset' }).selectOption({ label: 'Lung (1500/-600)' });
    await page.waitForFunction(() => document.querySelector('[data-testid=viewer-image]')?.src.endsWith('/dicom/d-6/1?c=-600.00&w=1500.00'));
    await page.waitForFunction(() => document.querySelector('[data-testid=viewer-image]')?.complete);
    assert.equal(await viewer.getByTestId('viewer-window').innerText(), 'W 1500 · C -600');
    const lung = await middleGrey(page);
    assert.ok(lung > before, `a lower centre shows the picture brighter: ${before} → ${lung}`);
    assert.equal(await viewer.getByText(/^\d+%$/).innerText(), zoomed, 'the zoom stays');

    // The window tool (W): dragging right widens, down raises the centre, by the image's range.
    await page.keyboard.press('w');
    assert.equal(await viewer.getByTestId('window-tool').getAttribute('aria-pressed'), 'true');
    const box = await viewer.getByTestId('viewer-image').boundingBox();
    const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
    await page.mouse.move(x, y);
    await page.mouse.down();
    await page.mouse.move(x + 50, y + 10, { steps: 5 });
    await page.mouse.move(x + 100, y + 20, { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction(() => /c=-43\d\.\d\d&w=23\d\d\.\d\d$/.test(document.querySelector('[data-testid=viewer-image]')?.src ?? ''));
    const [, w, c] = /^W (\d+) · C (-?\d+)$/.exec(await viewer.getByTestId('viewer-window').innerText());
    // The range is 4095 units: 8.19 per pixel.
    assert.ok(Math.abs(Number(w) - 2319) <= 2 && Math.abs(Number(c) - -436) <= 2, `W ${w} C ${c}`);
    await page.waitForFunction(() => document.querySelector('[data-testid=viewer-image]')?.complete);
    const dragged = await middleGrey(page);
    assert.ok(dragged < lung, `a higher centre is darker: ${lung} → ${dragged}`);
    assert.equal(await viewer.getByText(/^\d+%$/).innerText(), zoomed, 'the drag did not pan or zoom');
    assert.equal(await viewer.getByRole('combobox', { name: 'Window preset' }).inputValue(), 'custom');

    // Export draws the frame and window on screen.
    await viewer.getByTestId('export-annotated').click();
    const exports = await callsTo(page, 'export_annotated');
    assert.equal(exports.at(-1).dicom.frame, 1);
    assert.ok(Math.abs(exports.at(-1).dicom.window.center - -436) < 2, JSON.stringify(exports.at(-1)));

    // Reset returns to the file's window, from the keyboard too.
    await viewer.getByRole('button', { name: "Reset to the file's window" }).focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('[data-testid=viewer-image]')?.src.endsWith('/dicom/d-6/1'));
    assert.equal(await viewer.getByTestId('viewer-window').innerText(), 'W 400 · C 40');
    assert.equal(await viewer.getByRole('combobox', { name: 'Window preset' }).inputValue(), '', "the preset says the file's window again");
    await noSeriousViolations(page, 'the DICOM viewer with the window tool');
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test('DICOM viewer: an encoding that cannot be drawn says so and still offers Download', async () => {
  const why = 'This X-ray is stored as JPEG extended (12-bit lossy), which this app cannot display yet. Download it to open it in a radiology viewer.';
  const { page, close, media } = await mariaOpen({ dicom: true, dicomView: { undisplayable: why, value_low: null, value_high: null, start_window: null, window: null } });
  try {
    await page.getByRole('button', { name: 'Open CT head' }).click();
    const viewer = page.getByRole('dialog', { name: 'Document viewer' });
    assert.equal(await viewer.getByTestId('dicom-undisplayable').innerText(), why);
    assert.ok(await viewer.getByRole('button', { name: 'Download…' }).isEnabled());
    assert.equal(await viewer.getByTestId('window-tool').count(), 0, 'no window tool without a picture');
    assert.ok(!media.some((m) => m.includes('dicom/')), `no frame asked for: ${media}`);
    await noSeriousViolations(page, 'the viewer on an undisplayable DICOM');
  } finally {
    await close();
  }
});

test('sharing: a doctor adds a contact and shares the X-ray from the viewer; it is listed, sent again and revoked; a failed email says why; a receptionist is not offered it', async () => {
  const { page, close } = await mariaOpen();
  try {
    const { viewer } = await openXray(page);
    await viewer.getByRole('button', { name: 'Share…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Share “Knee X-ray”' });
    await dialog.waitFor();
    await dialog.getByText('Not shared with anyone yet.').waitFor();
    // No contacts yet: the new-contact form is open; a bad email is named and nothing is added.
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Dr. Lee');
    await dialog.getByRole('textbox', { name: 'Organisation (optional)' }).fill('Riverside Orthopaedics');
    await dialog.getByRole('textbox', { name: 'Email' }).fill('lee@ortho');
    await dialog.getByRole('textbox', { name: 'Email' }).press('Enter');
    await dialog.getByRole('alert').filter({ hasText: "Enter the person's email address, like name@clinic.org." }).waitFor();
    assert.equal(await dialog.getByRole('combobox', { name: 'Contact' }).count(), 0, 'nothing was added');
    await dialog.getByRole('textbox', { name: 'Email' }).fill('lee@ortho.example');
    await dialog.getByRole('button', { name: 'Add contact' }).click();
    await dialog.getByRole('combobox', { name: 'Contact' }).waitFor();
    assert.match(await dialog.getByRole('combobox', { name: 'Contact' }).innerText(), /Dr\. Lee, Riverside Orthopaedics \(lee@ortho\.example\)/);
    const patientChoice = dialog.getByRole('radio', { name: /The patient, Maria Garcia/ });
    assert.equal(await patientChoice.isDisabled(), true, 'a patient without an email cannot be chosen');
    await noSeriousViolations(page, 'the share dialog');

    // The mail server refuses: the doctor reads why, and can try again with the same choice.
    await page.evaluate(() => window.__fake.failNext('share_documents', 'send_failed', 'The email to Dr. Lee could not be sent: the mail server could not be reached. Nothing was shared; try again.'));
    await dialog.getByRole('button', { name: 'Share', exact: true }).click();
    await dialog.getByRole('alert').filter({ hasText: 'The email to Dr. Lee could not be sent' }).waitFor();
    assert.equal(await dialog.getByTestId('share').count(), 0);
    await dialog.getByRole('button', { name: 'Share', exact: true }).click();
    await dialog.getByRole('status').filter({ hasText: 'Sent to Dr. Lee (lee@ortho.example)' }).waitFor();
    const row = dialog.getByTestId('share');
    await row.filter({ hasText: /Not opened yet · the link works until/ }).waitFor();
    const sent = await callsTo(page, 'share_documents');
    assert.deepEqual(sent.at(-1).new.document_ids, ['d-3']);
    await noSeriousViolations(page, 'the share dialog with a share');


    await dialog.getByRole('button', { name: 'Send again to Dr. Lee' }).click();
    await dialog.getByRole('status').filter({ hasText: 'the earlier one no longer works' }).waitFor();
    await dialog.getByRole('button', { name: 'Revoke the link to Dr. Lee' }).click();
    await row.filter({ hasText: /^Dr\. Lee.*Revoked/s }).waitFor();
    assert.equal(await dialog.getByRole('button', { name: 'Revoke the link to Dr. Lee' }).count(), 0, 'a revoked link is done with');

    // Other documents of the patient can go in the same share, chosen from the keyboard.
    const also = dialog.getByTestId('share-also');
    await also.locator('summary').focus();
    await page.keyboard.press('Enter');
    const others = also.getByRole('checkbox');
    assert.ok((await others.count()) >= 1, 'the other documents of the list are offered');
    await others.first().focus();
    await page.keyboard.press('Space');
    await also.locator('summary').filter({ hasText: '(1 chosen)' }).waitFor();
    await dialog.getByRole('button', { name: 'Share', exact: true }).click();
    await dialog.getByRole('status').filter({ hasText: 'Sent 2 documents to Dr. Lee' }).waitFor();
    const both = (await callsTo(page, 'share_documents')).at(-1).new.document_ids;
    assert.equal(both.length, 2);
    assert.equal(both[0], 'd-3', 'the document the dialog is for comes first');

    // Esc closes the share dialog only; the viewer is still there.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await viewer.isVisible(), true);
  } finally {
    await close();
  }
  const desk = await mariaOpen({ role: 'receptionist' });
  try {
    await desk.page.getByTestId('document').first().waitFor();
    assert.equal(await desk.page.getByRole('button', { name: /^Share/ }).count(), 0, 'the desk does not share');
  } finally {
    await desk.close();
  }
});
