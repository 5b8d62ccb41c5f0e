// Who is signed in and with which role (from POST /api/login and GET
// /api/session). The server enforces roles (docs/admin.md "Roles"); the pages
// only hide what the role cannot do, so an auditor is not offered buttons
// that would answer 403.
let current = { user: null, role: null };

export function setSession(r) { current = r ? { user: r.user, role: r.role || 'admin' } : { user: null, role: null }; }
export function sessionUser() { return current.user; }
export function sessionRole() { return current.role; }
export function isAdmin() { return current.role === 'admin'; }
