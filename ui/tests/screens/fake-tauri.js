// A stand-in for the Rust side, injected into the page before the app loads: it answers every
// command the UI calls (see src/lib/ipc.ts) from an in-page clinic, records each call in
// `window.__calls`, and delivers events. Tests shape it through `window.__scenario` (set by an
// earlier init script) and reach it afterwards through `window.__fake`.
(() => {
  const scenario = window.__scenario ?? {};
  const DAY = 86400000;
  const iso = (d) => new Date(d).toISOString();
  const now = Date.parse('2026-11-20T10:00:00Z');

  const categories = [
    ['lab', 'Lab Report'],
    ['imaging', 'X-Ray'],
    ['prescription', 'Prescription'],
    ['referral', 'Referral'],
    ['consent', 'Consent'],
    ['insurance', 'Insurance'],
    ['photo', 'Photo'],
    ['clinical-note', 'Clinical note'],
    ['other', 'Other'],
  ].map(([value, label]) => ({ value, label }));
  const role = scenario.role ?? 'doctor';
  const documentsEnabled = scenario.plan !== 'basic';
  const limits = documentsEnabled
    ? { documents_enabled: true, pool_bytes: 5 * 1024 ** 3, max_file_bytes: 10 * 1024 * 1024, max_files_per_visit: 5 }
    : { documents_enabled: false, pool_bytes: 0, max_file_bytes: 0, max_files_per_visit: 0 };
  const org = { id: 'org-1', name: 'Demo Clinic', plan: scenario.plan ?? 'professional', documents_enabled: documentsEnabled, limits, session_idle_minutes: 30 };
  const user = { id: `u-${role}`, name: `Demo ${role[0].toUpperCase()}${role.slice(1)}`, email: `${role}@demo.clinic`, role, org_id: org.id };
  // The access policy (crates/clinicdocs-core/src/policy.rs) as far as these screens need it:
  // receptionists see and edit clinical documents only when they uploaded them; billing only
  // ever touches insurance cards; only admins delete.
  const clinicalForAll = role === 'admin' || role === 'doctor';
  const uploadable = role === 'billing' ? ['insurance'] : categories.map((c) => c.value);
  const mayTouch = (d) => clinicalForAll || d.category === 'insurance' || (role === 'receptionist' && d.uploaded_by === user.id);
  const session = {
    offline: false,
    me: { user, org },
    server_url: 'http://127.0.0.1:8080',
    can: {
      upload: org.documents_enabled ? uploadable : [],
      annotate: role === 'admin' || role === 'doctor',
      delete: role === 'admin',
      read_audit: role === 'admin',
      storage_report: role === 'admin',
      manage_patients: role !== 'billing',
      manage_staff: role === 'admin',
      share: role === 'admin' || role === 'doctor',
      max_file_bytes: limits.max_file_bytes,
      max_files_per_visit: limits.max_files_per_visit,
      documents_enabled: org.documents_enabled,
    },
  };

  const patients = [
    ['p-maria', 'Maria Garcia', '1961-11-03'],
    ['p-john', 'John Smith', '1975-02-14'],
    ['p-aisha', 'Aisha Khan', '1990-07-21'],
    ['p-li', 'Li Wei', '1984-09-09'],
    ['p-mariam', 'Mariam Said', '2001-05-30'],
  ].map(([id, name, date_of_birth]) => ({ id, name, date_of_birth, created_at: iso(now - 400 * DAY) }));
  const encounters = {
    'p-maria': [
      { id: 'e-2', patient_id: 'p-maria', date: '2026-11-20', reason: 'Follow-up', document_count: 2 },
      { id: 'e-1', patient_id: 'p-maria', date: '2026-10-02', reason: 'Chest pain', document_count: 5 },
    ],
  };
  let seq = 0;
  let listings = 0;
  const doc = (title, category, content_type, extra = {}) => {
    seq += 1;
    return {
      id: `d-${seq}`,
      org_id: org.id,
      patient_id: 'p-maria',
      encounter_id: null,
      title,
      category,
      content_type,
      file_size: 120000 * seq,
      sha256: 'ab'.repeat(32),
      has_thumbnail: true,
      page_count: content_type === 'application/pdf' ? 3 : null,
      notes: null,
      uploaded_by: 'u-doctor',
      uploaded_by_name: 'Demo Doctor',
      created_at: iso(now - seq * DAY),
      updated_at: iso(now - seq * DAY),
      can_annotate: clinicalForAll,
      can_delete: role === 'admin',
      ...extra,
    };
  };
  const withRights = (d) => ({ ...d, can_edit: mayTouch(d) });
  let documents = scenario.noDocuments
    ? []
    : [
        doc('Chest X-ray PA', 'imaging', 'image/jpeg', { encounter_id: 'e-1' }),
        doc('Blood panel', 'lab', 'application/pdf', { encounter_id: 'e-1' }),
        doc('Knee X-ray', 'imaging', 'image/png'),
        doc('Referral to cardiology', 'referral', 'application/pdf'),
        doc('Insurance card', 'insurance', 'image/jpeg'),
        // `scenario.dicom`: a CT from radiology as well.
        ...(scenario.dicom ? [doc('CT head', 'imaging', 'application/dicom')] : []),
        // `scenario.fax`: a three-page TIFF (a faxed referral) as well.
        ...(scenario.fax ? [doc('Fax referral', 'referral', 'image/tiff', { page_count: 3 })] : []),
        // `scenario.tileComing`: a PDF uploaded a moment ago whose server tile is not drawn yet;
        // the server has it from the third listing on.
        ...(scenario.tileComing ? [doc('Discharge letter', 'referral', 'application/pdf', { has_thumbnail: false, created_at: iso(Date.now()) })] : []),
      ];
  let usage = scenario.usage ?? { used_bytes: 3.1 * 1024 ** 3, quota_bytes: 5 * 1024 ** 3, document_count: 412 };
  // `scenario.recent`: patients opened on this computer before (kept for working offline).
  const recent = (scenario.recent ?? []).map((id) => {
    const p = patients.find((x) => x.id === id);
    return { id: p.id, name: p.name, date_of_birth: p.date_of_birth };
  });
  let signedIn = !!scenario.signedIn;
  const failures = { ...(scenario.failures ?? {}) };
  const listeners = new Map();
  const callbacks = new Map();
  let nextCallback = 1;
  window.__calls = [];

  const err = (code, message) => Promise.reject({ code, message });
  let setupCode = 'ABCD-EFGH-JKMN-PQRS';
  const auditEvents = Array.from({ length: 150 }, (_, i) => {
    const id = 150 - i;
    const byDana = i % 3 === 0;
    const action = ['document_downloaded', 'document_uploaded', 'sign_in_succeeded'][i % 3];
    const who = byDana ? 'Dr. Dana Doctor' : 'Riley Reception';
    const aboutMaria = action !== 'sign_in_succeeded';
    // Half of what was done to Maria's documents was done to her blood panel (when she has one).
    const panel = i % 2 === 1 ? documents.find((d) => d.title === 'Blood panel') : undefined;
    const docTitle = panel ? panel.title : 'CBC-Report-Apr2026';
    return {
      id,
      at: iso(now - i * 3600e3),
      actor_id: byDana ? 'u-dana' : 'u-riley',
      actor_email: byDana ? 'dana@demo.clinic' : 'riley@demo.clinic',
      action,
      target_type: aboutMaria ? 'document' : 'user',
      target_id: `t-${id}`,
      detail: null,
      remote_addr: '127.0.0.1',
      actor_name: who,
      document_id: aboutMaria ? (panel ? panel.id : 'd-cbc') : null,
      document_title: aboutMaria ? docTitle : null,
      patient_id: aboutMaria ? 'p-maria' : null,
      patient_name: aboutMaria ? 'Maria Garcia' : null,
      staff_name: aboutMaria ? null : who,
      summary: aboutMaria ? `${who} ${action === 'document_downloaded' ? 'downloaded' : 'uploaded'} ‘${docTitle}’ of Maria Garcia` : `${who} signed in`,
    };
  });
  const staff = [
    { id: user.id, name: user.name, email: user.email, role, active: true, password_set: true, created_at: iso(now - 300 * DAY) },
    { id: 'u-riley', name: 'Riley Reception', email: 'riley@demo.clinic', role: 'receptionist', active: true, password_set: true, created_at: iso(now - 250 * DAY) },
    { id: 'u-dana', name: 'Dr. Dana Doctor', email: 'dana@demo.clinic', role: 'doctor', active: true, password_set: true, created_at: iso(now - 200 * DAY) },
    { id: 'u-left', name: 'Lee Leaver', email: 'lee@demo.clinic', role: 'receptionist', active: false, password_set: true, created_at: iso(now - 100 * DAY) },
  ];
  const contacts = [...(scenario.contacts ?? [])];
  // `scenario.shares`: shares already made (the Share type, newest first).
  const shares = [...(scenario.shares ?? [])];
  // `scenario.sharing`: the server's sharing settings (default: email, no SMS gateway).
  const sharingSettings = { security: 'link', email_available: true, sms_available: false, ...(scenario.sharing ?? {}) };
  const pickQueue = [...(scenario.picks ?? [])];
  const files = scenario.files ?? {};

  const handlers = {
    app_info: () => ({
      version: '0.1.0',
      server_url: scenario.serverUrl ?? 'http://127.0.0.1:8080',
      email: signedIn ? user.email : null,
      categories,
      max_title_chars: 200,
      max_notes_chars: 2000,
      min_password_chars: 10,
      roles: [['admin', 'Administrator'], ['doctor', 'Doctor'], ['receptionist', 'Receptionist'], ['billing', 'Billing']].map(
        ([value, label]) => ({ value, label }),
      ),
      idle_minute_choices: [5, 10, 15, 30, 60, 120, 240, 480, 720],
      audit_actions: ['sign_in_succeeded', 'document_uploaded', 'document_link_issued', 'document_downloaded', 'staff_added'].map((value) => ({
        value,
        label: value[0].toUpperCase() + value.slice(1).replaceAll('_', ' '),
      })),
    }),
    // 150 events, newest first, in pages of 100 (the desktop's page size).
    audit_page: ({ filter }) => {
      let r = auditEvents;
      if (filter.user_id) r = r.filter((e) => e.actor_id === filter.user_id);
      if (filter.action) r = r.filter((e) => e.action === filter.action);
      if (filter.patient_id) r = r.filter((e) => e.patient_id === filter.patient_id);
      if (filter.document_id) r = r.filter((e) => e.document_id === filter.document_id);
      if (filter.from) r = r.filter((e) => e.at >= filter.from);
      if (filter.to) r = r.filter((e) => e.at < filter.to);
      if (filter.before != null) r = r.filter((e) => e.id < filter.before);
      const items = r.slice(0, 100);
      return { items, next_before: items.length === 100 ? items[99].id : null };
    },
    export_audit: () => (scenario.cancelSave ? null : { path: '/home/admin/Audit trail 2026-11-20.csv', files: 1 }),
    // The server's rules as far as these screens need them: one code works once; a common
    // password is refused; the clinic keeps an active administrator.
    first_sign_in: ({ serverUrl, code, password }) => {
      if (!/^https?:\/\//.test(serverUrl)) return err('invalid_server_url', `“${serverUrl}” is not a server address.`);
      if (code.replace(/[- ]/g, '').toUpperCase() !== setupCode.replace(/-/g, '')) {
        return err('setup_code_invalid', "This setup code does not work: it may be mistyped, used already, replaced by a newer one or older than 24 hours. Ask your clinic's administrator for a new one.");
      }
      if (['password123', 'basketball', '1234567890'].includes(password.toLowerCase())) {
        return err('weak_password', 'That password is among the most common ones, which are guessed first. Choose another.');
      }
      setupCode = 'used';
      signedIn = true;
      return session;
    },
    change_password: ({ current, new: next }) => {
      if (current !== 'demo') return err('forbidden', 'Your current password is not right.');
      if (next.toLowerCase() === 'password123') return err('weak_password', 'That password is among the most common ones, which are guessed first. Choose another.');
      return null;
    },
    // Sharing, as the server answers: a contact needs a real email; a share to a contact goes
    // out at once and waits to be opened for 24 hours.
    list_contacts: () => contacts.map((c) => ({ ...c })),
    add_contact: ({ new: n }) => {
      if (!n.name.trim()) return err('invalid_name', 'Type a name.');
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(n.email.trim())) return err('bad_request', "Enter the person's email address, like name@clinic.org.");
      const c = { id: `c-${contacts.length + 1}`, name: n.name.trim(), organisation: n.organisation, email: n.email.trim().toLowerCase(), phone: n.phone, created_at: iso(now) };
      contacts.push(c);
      return c;
    },
    change_contact: ({ id, patch }) => {
      const c = contacts.find((x) => x.id === id);
      if (!c) return err('not_found', 'Contact not found.');
      if (patch.email != null && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(patch.email.trim())) return err('bad_request', "Enter the person's email address, like name@clinic.org.");
      Object.assign(c, {
        name: patch.name?.trim() ?? c.name,
        email: patch.email?.trim().toLowerCase() ?? c.email,
        organisation: patch.organisation == null ? c.organisation : patch.organisation.trim() || null,
        phone: patch.phone == null ? c.phone : patch.phone.trim() || null,
      });
      return { ...c };
    },
    remove_contact: ({ id }) => {
      const i = contacts.findIndex((x) => x.id === id);
      if (i < 0) return err('not_found', 'Contact not found.');
      contacts.splice(i, 1);
      return null;
    },
    share_documents: ({ new: n }) => {
      const c = contacts.find((x) => x.id === n.contact_id);
      const p = patients.find((x) => x.id === n.patient_id);
      if (!c && !p) return err('not_found', 'Contact not found.');
      seq += 1;
      const s = {
        id: `s-${seq}`,
        patient_id: 'p-maria',
        recipient_kind: c ? 'contact' : 'patient',
        recipient_id: (c ?? p).id,
        recipient_name: (c ?? p).name,
        recipient_email: c ? c.email : 'maria@example.org',
        documents: n.document_ids.map((id) => ({ id, title: documents.find((d) => d.id === id)?.title ?? id })),
        created_by: user.id,
        created_by_name: user.name,
        created_at: iso(now),
        sent_at: iso(now),
        expires_unused_at: iso(now + DAY),
        opened_at: null,
        revoked_at: null,
        state: 'waiting',
      };
      shares.unshift(s);
      return { ...s };
    },
    document_shares: ({ documentId }) => shares.filter((s) => s.documents.some((d) => d.id === documentId)).map((s) => ({ ...s })),
    patient_shares: ({ patientId }) => shares.filter((s) => s.patient_id === patientId).map((s) => ({ ...s })),
    resend_share: ({ id }) => {
      const s = shares.find((x) => x.id === id);
      Object.assign(s, { state: 'waiting', sent_at: iso(now), opened_at: null, expires_unused_at: iso(now + DAY) });
      return { ...s };
    },
    sharing_settings: () => ({ ...sharingSettings }),
    change_sharing_settings: ({ security }) => {
      if (security === 'sms' && !sharingSettings.sms_available) return err('not_configured', 'SMS codes cannot be chosen: this server has no SMS gateway set up to send them.');
      sharingSettings.security = security;
      return { ...sharingSettings };
    },
    revoke_share: ({ id }) => {
      Object.assign(shares.find((x) => x.id === id), { state: 'revoked', revoked_at: iso(now) });
      return null;
    },
    list_staff: () => staff.map((m) => ({ ...m })),
    add_staff: ({ new: n }) => {
      if (staff.some((m) => m.email === n.email.trim().toLowerCase())) return err('conflict', `${n.email} already has an account. Each person signs in with an email of their own.`);
      const m = { id: `u-${staff.length + 1}`, name: n.name.trim(), email: n.email.trim().toLowerCase(), role: n.role, active: true, password_set: false, created_at: iso(now) };
      staff.push(m);
      return { user: m, setup: { code: 'Q7KM-2XD9-HT4P-W8NB', expires_at: iso(now + DAY) } };
    },
    change_staff: ({ id, patch }) => {
      const m = staff.find((x) => x.id === id);
      if (!m) return err('not_found', 'User not found.');
      const after = { ...m, role: patch.role ?? m.role, active: patch.active ?? m.active, name: patch.name ?? m.name };
      const admins = staff.map((x) => (x.id === id ? after : x)).filter((x) => x.role === 'admin' && x.active);
      if (admins.length === 0) return err('last_admin', 'The clinic needs at least one active administrator. Make someone else an administrator first.');
      Object.assign(m, after);
      return { ...m };
    },
    new_setup_code: () => ({ code: 'R3VX-9KQ2-MD7T-PN4W', expires_at: iso(now + DAY) }),
    change_clinic: ({ patch }) => {
      org.session_idle_minutes = patch.session_idle_minutes ?? org.session_idle_minutes;
      return { ...org };
    },
    restore_session: () => (signedIn ? { ...session, offline: !!window.__fake.offline } : null),
    sign_in: ({ serverUrl, email, password }) => {
      if (!/^https?:\/\//.test(serverUrl)) return err('invalid_server_url', `“${serverUrl}” is not a server address. Use the form https://clinic.example.org.`);
      if (password !== 'demo' || email !== user.email) return err('invalid_credentials', 'The email or password is not right.');
      signedIn = true;
      return session;
    },
    sign_out: () => {
      signedIn = false;
      return null;
    },
    find_patients: ({ query }) => {
      const q = query.toLowerCase();
      return patients.filter((p) => p.name.toLowerCase().includes(q) || p.date_of_birth.includes(q));
    },
    open_patient: ({ patientId }) => {
      const patient = patients.find((p) => p.id === patientId);
      if (!patient) return err('not_found', 'This patient does not exist.');
      if (window.__fake.offline) {
        if (!recent.some((r) => r.id === patientId)) return err('server_unreachable', 'The clinic server cannot be reached, and this patient was not opened on this computer recently.');
        return { patient, visits: encounters[patientId] ?? [], offline: true };
      }
      const i = recent.findIndex((r) => r.id === patientId);
      if (i >= 0) recent.splice(i, 1);
      recent.unshift({ id: patient.id, name: patient.name, date_of_birth: patient.date_of_birth });
      return { patient, visits: encounters[patientId] ?? [], offline: false };
    },
    recent_patients: () => recent.slice(0, 6),
    register_patient: ({ new: n }) => {
      if (n.patient_number && patients.some((p) => p.patient_number === n.patient_number.trim())) {
        return err('conflict', `The patient number ${n.patient_number} is already given to another patient of this clinic. Check the number, or find that patient.`);
      }
      const p = { id: `p-${patients.length + 1}`, created_at: iso(now), sex: null, phone: null, email: null, patient_number: null, ...n };
      patients.push(p);
      return p;
    },
    patient_namesakes: ({ name, dateOfBirth }) =>
      patients.filter((p) => p.name.toLowerCase() === name.trim().toLowerCase() && p.date_of_birth === dateOfBirth),
    update_patient: ({ id, patch }) => {
      const p = patients.find((x) => x.id === id);
      for (const [k, v] of Object.entries(patch)) if (v !== null) p[k] = v === '' ? null : v;
      return p;
    },
    choose_patient_photo: () => {
      const c = scenario.photoChoice ?? 'chosen';
      if (c === 'refused') return err('unsupported_type', '“referral.pdf” is not a photo this app can use: choose a JPEG, PNG, TIFF or WebP picture.');
      return c === 'chosen';
    },
    practitioners: () => [{ id: 'u-dana', name: 'Dr. Dana Doctor' }, { id: 'u-admin', name: 'Demo Admin' }],
    open_visit: ({ patientId, new: v }) => {
      if (!v.reason.trim()) return err('bad_request', 'Give the reason for the visit.');
      const visit = { id: `e-${Date.now()}`, patient_id: patientId, date: v.date, reason: v.reason, document_count: 0, practitioner_id: v.practitioner_id };
      (encounters[patientId] ??= []).unshift(visit);
      return visit;
    },
    list_documents: ({ filter }) => {
      if (window.__fake.offline) return err('server_unreachable', 'The clinic server at http://127.0.0.1:8080/ cannot be reached.');
      listings += 1;
      if (scenario.tileComing && listings >= 3) documents = documents.map((d) => (d.title === 'Discharge letter' ? { ...d, has_thumbnail: true } : d));
      let r = documents.filter((d) => d.patient_id === filter.patient_id && mayTouch(d)).map(withRights);
      if (filter.from) r = r.filter((d) => d.created_at.slice(0, 10) >= filter.from);
      if (filter.to) r = r.filter((d) => d.created_at.slice(0, 10) <= filter.to);
      const key = { date: (d) => d.created_at, name: (d) => d.title.toLowerCase(), uploader: (d) => d.uploaded_by_name }[filter.sort];
      r.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
      if (filter.order === 'desc') r.reverse();
      return r;
    },
    storage_usage: () => usage,
    // The report, from the documents this fake holds (live ones), as the server adds it up.
    storage_report: () => {
      if (role !== 'admin') return err('forbidden', 'Only an administrator may read the storage report.');
      const by = new Map();
      const pts = new Map();
      for (const d of documents) {
        const c = by.get(d.category) ?? { category: d.category, documents: 0, bytes: 0 };
        c.documents += 1;
        c.bytes += d.file_size;
        by.set(d.category, c);
        const p = pts.get(d.patient_id) ?? { patient_id: d.patient_id, name: patients.find((x) => x.id === d.patient_id)?.name ?? '?', documents: 0, bytes: 0 };
        p.documents += 1;
        p.bytes += d.file_size;
        pts.set(d.patient_id, p);
      }
      const desc = (a, b) => b.bytes - a.bytes;
      return { used_bytes: usage.used_bytes, quota_bytes: usage.quota_bytes, document_count: documents.length, by_category: [...by.values()].sort(desc), top_patients: [...pts.values()].sort(desc).slice(0, 10) };
    },
    update_document: ({ id, patch }) => {
      const d = documents.find((x) => x.id === id);
      if (!d) return err('not_found', 'This document does not exist.');
      if (patch.title !== null) d.title = patch.title;
      if (patch.category !== null) d.category = patch.category;
      if (patch.encounter_id !== undefined) d.encounter_id = patch.encounter_id;
      if (patch.notes !== null) d.notes = patch.notes;
      return withRights(d);
    },
    delete_document: ({ id }) => {
      const d = documents.find((x) => x.id === id);
      if (!d) return err('not_found', 'This document does not exist.');
      documents = documents.filter((x) => x.id !== id);
      usage = { ...usage, used_bytes: usage.used_bytes - d.file_size, document_count: usage.document_count - 1 };
      return null;
    },
    pdf_page_count: ({ id }) => documents.find((x) => x.id === id)?.page_count ?? 1,
    pick_files: () => pickQueue.shift() ?? [],
    check_file: ({ path }) => {
      const f = files[path];
      if (!f) return err('file_access', `${path} could not be read.`);
      const name = path.split('/').pop();
      return {
        path,
        file_name: name,
        suggested_title: name.replace(/\.[^.]*$/, ''),
        size: f.size,
        content_type: f.problems?.length ? null : f.content_type,
        preview_id: f.problems?.length ? null : `pv-${name}`,
        problems: f.problems ?? [],
      };
    },
    // The upload queue: items wait, are sent by a pretend worker (which a test can hold with
    // `window.__fake.sendGate`), and end sent or refused (`window.__fake.refuseNext`).
    queue_upload: ({ request }) => {
      const known = queue.find((q) => q.idempotency_key === request.idempotency_key);
      if (known) return known;
      const f = files[request.path] ?? { size: 1000, content_type: 'application/pdf' };
      const q = {
        id: `q-${queue.length + 1}`,
        idempotency_key: request.idempotency_key,
        patient_id: request.patient_id,
        encounter_id: request.encounter_id,
        category: request.category,
        title: request.title,
        notes: request.notes,
        file_name: request.path.split('/').pop(),
        size: f.size,
        sha256: '',
        state: 'waiting',
        attempts: 0,
        next_attempt_at: now,
        error_code: null,
        error_message: null,
        document_id: null,
        queued_at: Date.now(),
        batch_id: null,
        content_type: f.content_type,
      };
      queue.push(q);
      emit('queue-changed', null);
      setTimeout(() => send(q), 0);
      return q;
    },
    queue_items: () => queue.map((q) => ({ ...q })),
    // `scenario.scale`: what the X-ray states of itself (its pixels and pixel spacing).
    image_scale: () => scenario.scale ?? null,
    dicom_view: () => ({
      frames: 3,
      width: 512,
      height: 512,
      colour: false,
      window: { center: 40, width: 400 },
      start_window: { center: 40, width: 400 },
      value_low: -1024,
      value_high: 3071,
      details: {
        patient_name: 'GARCIA^MARIA',
        patient_id: 'MRN-0042',
        study_date: '20261130',
        modality: 'CT',
        body_part: 'HEAD',
        study_description: null,
        series_description: 'Axial 5 mm',
        encoding: 'uncompressed',
      },
      spacing_source: 'patient',
      undisplayable: null,
      ...(scenario.dicomView ?? {}),
    }),
    mark_changes: () => [
      ...pendingMarks.map((c) => ({ annotation_id: c.id, document_id: c.documentId, document_title: null, page_number: 1, op: c.op, body: null, base_version: null, state: 'waiting', attempts: 0, error_code: null, error_message: null, queued_at: Date.now() })),
      ...refusedMarks,
    ],
    discard_mark_change: ({ annotationId }) => {
      const i = refusedMarks.findIndex((c) => c.annotation_id === annotationId);
      if (i < 0) return err('conflict', 'Only a refused mark change can be discarded.');
      refusedMarks.splice(i, 1);
      return null;
    },
    queue_discard: ({ id }) => {
      const i = queue.findIndex((q) => q.id === id && (q.state === 'waiting' || q.state === 'refused'));
      if (i < 0) return err('conflict', 'This upload is being sent or was sent already.');
      queue.splice(i, 1);
      emit('queue-changed', null);
      return null;
    },
    queue_resend: ({ id, change }) => {
      const q = queue.find((x) => x.id === id && x.state === 'refused');
      if (!q) return err('conflict', 'Only a refused upload can be sent again.');
      Object.assign(q, { state: 'waiting', error_code: null, error_message: null, attempts: 0 });
      if (change.category) q.category = change.category;
      if (change.title) q.title = change.title;
      if (change.patient_id) Object.assign(q, { patient_id: change.patient_id, encounter_id: change.encounter_id ?? null });
      emit('queue-changed', null);
      setTimeout(() => send(q), 0);
      return null;
    },
    // Drag and drop: `window.__fake.drop(files, skipped)` plays the native drop; these answer
    // the review sheet as src-tauri/src/commands/bulk_import.rs does.
    check_import: ({ importId, encounterId, indexes }) => {
      const review = imports.get(importId);
      if (!review) return err('conflict', 'These files were sent or put aside already.');
      const visit = Object.values(encounters).flat().find((e) => e.id === encounterId);
      let bytes = 0;
      const problems = indexes.map((i, n) => {
        const out = [];
        if (visit && visit.document_count + n >= 5) {
          out.push({ code: 'visit_limit_reached', message: 'This visit already has 5 documents, the most one visit can hold.' });
        }
        bytes += review.files[i].size;
        if (usage.used_bytes + bytes > usage.quota_bytes) out.push({ code: 'quota_exceeded', message: 'This file would overflow the clinic storage.' });
        return out;
      });
      return { online: !window.__fake.offline, problems };
    },
    queue_import: ({ importId, request }) => {
      const review = imports.get(importId);
      if (!review) return err('conflict', 'These files were sent or put aside already.');
      imports.delete(importId);
      const batch = `b-${importId}`;
      const items = request.files.map((f) => {
        const file = review.files[f.index];
        const q = {
          id: `q-${queue.length + 1}`,
          idempotency_key: `k-${queue.length + 1}`,
          patient_id: request.patient_id,
          encounter_id: request.encounter_id,
          category: f.category,
          title: f.title,
          notes: null,
          file_name: file.file_name,
          size: file.size,
          sha256: '',
          state: 'waiting',
          attempts: 0,
          next_attempt_at: now,
          error_code: null,
          error_message: null,
          document_id: null,
          queued_at: Date.now(),
          batch_id: batch,
          content_type: file.content_type,
        };
        queue.push(q);
        return q;
      });
      emit('queue-changed', null);
      setTimeout(() => items.forEach((q) => send(q)), 0);
      return items;
    },
    cancel_import: ({ importId }) => {
      imports.delete(importId);
      return null;
    },
    // The scanner folder: `scenario.scanned` lists its ready files; sent ones leave it.
    scanned_files: () => ({ folder: scanner.folder, files: scanner.files, growing: scanner.growing, problem: null }),
    pick_scanner_folder: () => {
      scanner.folder = '/srv/scans/front-desk';
      return scanner.folder;
    },
    queue_scanned: ({ request }) => {
      const pages = request.pages.map((p) => scanner.files.find((f) => f.path === p.path));
      if (pages.some((p) => !p)) return err('bad_request', 'A scan is no longer in the scanner folder.');
      const one = (title, size, content_type, batch_id) => {
        const q = {
          id: `q-${queue.length + 1}`, idempotency_key: `k-${queue.length + 1}`, patient_id: request.patient_id,
          encounter_id: request.encounter_id, category: request.category, title, notes: null,
          file_name: `${title}.pdf`, size, sha256: '', state: 'waiting', attempts: 0, next_attempt_at: now,
          error_code: null, error_message: null, document_id: null, queued_at: Date.now(), batch_id, content_type,
        };
        queue.push(q);
        return q;
      };
      const items = request.combine
        ? [one(request.title, pages.reduce((n, p) => n + p.size, 0), 'application/pdf', null)]
        : pages.map((p, i) => one(pages.length === 1 ? request.title : `${request.title} (${i + 1}/${pages.length})`, p.size, p.content_type, pages.length > 1 ? 'b-scan' : null));
      scanner.files = scanner.files.filter((f) => !pages.includes(f));
      emit('queue-changed', null);
      emit('scanned-changed', null);
      setTimeout(() => items.forEach((q) => send(q)), 0);
      return items;
    },
    // Annotations, with versions: `window.__fake.editElsewhere(id)` plays a colleague's change.
    // Offline (`window.__fake.offline`), changes are kept like the desktop's queue does and
    // `window.__fake.syncMarks()` sends them (a stale base version is refused).
    list_annotations: ({ documentId }) => annotations.filter((a) => a.document_id === documentId).map((a) => ({ ...a })),
    create_annotation: ({ documentId, annotation }) => {
      if (!clinicalForAll) return err('forbidden', 'Your role may not annotate documents.');
      if (!annotation.id) return err('bad_request', 'A new mark needs its id.');
      if (window.__fake.offline) return keepMark({ op: 'create', documentId, annotation });
      const t = new Date().toISOString();
      const a = { ...annotation, document_id: documentId, created_by: user.id, created_by_name: user.name, created_at: t, updated_at: t, version: 1 };
      annotations.push(a);
      return { annotation: { ...a }, queued: false };
    },
    update_annotation: ({ documentId, id, update }) => {
      if (window.__fake.offline || pendingMarks.some((c) => c.id === id)) return keepMark({ op: 'update', documentId, id, update });
      const a = annotations.find((x) => x.id === id);
      if (!a) return err('not_found', 'This annotation does not exist.');
      if (a.version !== update.version) return err('conflict', 'Someone else changed this annotation since you opened it. Reload to see their version.');
      const { version, ...rest } = update;
      Object.assign(a, rest, { version: a.version + 1, updated_at: new Date().toISOString() });
      return { annotation: { ...a }, queued: false };
    },
    delete_annotation: ({ documentId, id, version }) => {
      if (window.__fake.offline || pendingMarks.some((c) => c.id === id)) return keepMark({ op: 'delete', documentId, id, version });
      const i = annotations.findIndex((x) => x.id === id);
      if (i < 0) return err('not_found', 'This annotation does not exist.');
      if (annotations[i].version !== version) return err('conflict', 'Someone else changed this annotation since you opened it, so it was not deleted.');
      annotations.splice(i, 1);
      return { annotation: null, queued: false };
    },
    close_anyway: () => {
      window.__closed = true;
      return null;
    },
    save_document: ({ id }) => ({ path: `/home/reception/Downloads/${id}.pdf`, files: 1 }),
    export_annotated: ({ id }) => ({ path: `/home/doctor/Downloads/${documents.find((d) => d.id === id)?.title} - annotated.png`, files: 1 }),
    download_all: async ({ ids, zipName }) => {
      const hold = window.__fake.zipGate;
      for (let i = 0; i < ids.length; i += 1) {
        const d = documents.find((x) => x.id === ids[i]);
        emit('zip-progress', { done: i, total: ids.length, title: d?.title ?? '' });
        if (hold) await hold;
      }
      emit('zip-progress', { done: ids.length, total: ids.length, title: '' });
      return { path: `/home/doctor/Downloads/${zipName}.zip`, files: ids.length };
    },
  };

  const queue = [];
  const annotations = [];
  // Mark changes kept while offline, in order.
  const pendingMarks = [];
  const refusedMarks = [];
  function keepMark(c) {
    pendingMarks.push({ ...c, id: c.id ?? c.annotation.id });
    emit('queue-changed', null);
    return { annotation: null, queued: true };
  }
  function syncMarks() {
    window.__fake.offline = false;
    const refused = [];
    const documents = new Set();
    for (const c of pendingMarks.splice(0)) {
      documents.add(c.documentId);
      const t = new Date().toISOString();
      const i = annotations.findIndex((x) => x.id === c.id);
      if (c.op === 'create') {
        annotations.push({ ...c.annotation, document_id: c.documentId, created_by: user.id, created_by_name: user.name, created_at: t, updated_at: t, version: 1 });
      } else if (i >= 0 && c.op === 'update') {
        const { version, ...rest } = c.update;
        if (version !== 0 && annotations[i].version !== version) {
          refused.push({ annotation_id: c.id, document_id: c.documentId, document_title: 'Knee X-ray', page_number: 1, op: 'update', body: null, base_version: version, state: 'refused', attempts: 1, error_code: 'conflict', error_message: 'A change to a mark on page 1 of “Knee X-ray”, made while the server could not be reached, was not saved: someone else changed that mark meanwhile. Their version is shown.', queued_at: Date.now() });
        } else Object.assign(annotations[i], rest, { version: annotations[i].version + 1, updated_at: t });
      } else if (i >= 0 && c.op === 'delete') {
        annotations.splice(i, 1);
      }
    }
    refusedMarks.push(...refused);
    emit('marks-synced', { documents: [...documents], refused, waiting: [] });
    emit('queue-changed', null);
  }
  let annSeq = 0;
  // `scenario.marks = { doc, count }`: that many marks of mixed kinds already on a document
  // (the annotation benchmark), placed by a fixed pseudo-random sequence.
  if (scenario.marks) {
    let r = 12345;
    const rnd = () => ((r = (r * 1103515245 + 12345) % 2147483648) / 2147483648);
    const P = () => ({ x: 0.05 + rnd() * 0.9, y: 0.05 + rnd() * 0.9 });
    const kinds = ['marker', 'drawing', 'text', 'highlight', 'arrow', 'measure', 'angle'];
    for (let i = 0; i < scenario.marks.count; i += 1) {
      const kind = kinds[i % kinds.length];
      const a = P();
      const geometry =
        kind === 'marker' || kind === 'text' ? a
        : kind === 'drawing' ? { points: Array.from({ length: 24 }, (_, k) => ({ x: Math.min(0.99, a.x + k * 0.002), y: Math.min(0.99, a.y + Math.sin(k / 3) * 0.01 + 0.011) })) }
        : kind === 'highlight' ? { x: Math.min(a.x, 0.9), y: Math.min(a.y, 0.9), w: 0.05, h: 0.03 }
        : kind === 'angle' ? { from: a, vertex: P(), to: P() }
        : { from: a, to: P() };
      annotations.push({
        id: `a-${++annSeq}`, document_id: scenario.marks.doc, page_number: 1, kind, geometry,
        style: { color: ['#e53935', '#1e88e5', '#43a047'][i % 3], width: 0.003 }, text: kind === 'text' ? `note ${i}` : null,
        created_by: 'u-doctor', created_by_name: 'Demo Doctor', created_at: iso(now), updated_at: iso(now), version: 1,
      });
    }
  }
  const scanner = {
    folder: scenario.scanned?.folder ?? null,
    growing: scenario.scanned?.growing ?? 0,
    files: (scenario.scanned?.files ?? []).map((f) => {
      const name = f.path.split('/').pop();
      return {
        path: f.path, file_name: name, suggested_title: name.replace(/\.[^.]*$/, ''), size: f.size ?? 300000,
        content_type: f.problems?.length ? null : (f.content_type ?? 'image/jpeg'),
        preview_id: f.problems?.length ? null : `pv-${name}`, problems: f.problems ?? [],
      };
    }),
  };
  const imports = new Map();
  let importSeq = 0;
  function drop(dropped, skipped = []) {
    importSeq += 1;
    const review = {
      id: `imp-${importSeq}`,
      files: dropped.map((f) => {
        const name = f.path.split('/').pop();
        return {
          path: f.path,
          file_name: name,
          suggested_title: name.replace(/\.[^.]*$/, ''),
          size: f.size,
          content_type: f.problems?.length ? null : f.content_type,
          preview_id: f.problems?.length ? null : `pv-${name}`,
          problems: f.problems ?? [],
        };
      }),
      skipped,
      batch_size: 50,
    };
    imports.set(review.id, review);
    emit('import-started', review.files.length);
    emit('import-review', review);
    return review;
  }
  async function send(q) {
    if (window.__fake.offline) {
      Object.assign(q, { state: 'waiting', attempts: q.attempts + 1, error_code: 'server_unreachable', error_message: 'The clinic server cannot be reached.' });
      emit('queue-changed', null);
      return;
    }
    q.state = 'sending';
    emit('queue-changed', null);
    emit('queue-progress', { id: q.id, sent: Math.round(q.size * 0.4), total: q.size });
    if (window.__fake.sendGate) await window.__fake.sendGate;
    const refusal = window.__fake.refuseNext;
    if (refusal) {
      window.__fake.refuseNext = null;
      Object.assign(q, { state: 'refused', attempts: q.attempts + 1, error_code: refusal.code, error_message: refusal.message });
      emit('queue-changed', null);
      return;
    }
    emit('queue-progress', { id: q.id, sent: q.size, total: q.size });
    const d = doc(q.title, q.category, q.content_type ?? 'application/pdf', {
      encounter_id: q.encounter_id,
      notes: q.notes,
      uploaded_by: user.id,
      uploaded_by_name: user.name,
      created_at: iso(now),
      file_size: q.size,
    });
    documents.push(d);
    usage = { ...usage, used_bytes: usage.used_bytes + d.file_size, document_count: usage.document_count + 1 };
    Object.assign(q, { state: 'done', document_id: d.id });
    emit('queue-changed', null);
  }

  function emit(event, payload) {
    for (const id of listeners.get(event) ?? []) callbacks.get(id)?.({ event, id, payload });
  }

  async function invoke(cmd, args = {}) {
    if (cmd === 'plugin:event|listen') {
      if (!listeners.has(args.event)) listeners.set(args.event, []);
      listeners.get(args.event).push(args.handler);
      return args.handler;
    }
    if (cmd === 'plugin:event|unlisten') {
      const l = listeners.get(args.event) ?? [];
      listeners.set(args.event, l.filter((h) => h !== args.eventId));
      return null;
    }
    window.__calls.push({ cmd, args: JSON.parse(JSON.stringify(args)) });
    if (failures[cmd]) {
      const f = failures[cmd];
      if (!f.times || --f.times === 0) delete failures[cmd];
      return err(f.code, f.message);
    }
    const h = handlers[cmd];
    if (!h) return err('bad_response', `the fake backend has no command ${cmd}`);
    if (!signedIn && !['app_info', 'restore_session', 'sign_in', 'first_sign_in'].includes(cmd)) return err('not_signed_in', 'Sign in first.');
    return h(args);
  }

  window.__TAURI_INTERNALS__ = {
    invoke,
    transformCallback(cb, once) {
      const id = nextCallback++;
      callbacks.set(id, (data) => {
        if (once) callbacks.delete(id);
        return cb?.(data);
      });
      return id;
    },
    unregisterCallback: (id) => callbacks.delete(id),
    convertFileSrc: (path, protocol) => `http://${protocol}.localhost/${path}`,
    metadata: { currentWindow: { label: 'main' }, currentWebview: { windowLabel: 'main', label: 'main' } },
  };
  window.__TAURI_EVENT_PLUGIN_INTERNALS__ = { unregisterListener: () => {} };
  window.__fake = {
    emit,
    zipGate: null,
    sendGate: null,
    offline: !!scenario.offline,
    refuseNext: null,
    failNext: (cmd, code, message, times = 1) => (failures[cmd] = { code, message, times }),
    documents: () => documents,
    drop,
    annotations: () => annotations,
    pendingMarks: () => pendingMarks,
    syncMarks,
    editElsewhere: (id) => {
      const a = annotations.find((x) => x.id === id);
      Object.assign(a, { style: { ...a.style, color: '#00ff00' }, text: 'changed by a colleague', version: a.version + 1, created_by_name: a.created_by_name });
    },
  };
})();
