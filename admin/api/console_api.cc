// GET /            the web console page (public: it holds no data, only the login form)
// GET /console.js  its script (a separate file so the CSP can forbid inline script)
//
// The console is a thin client of the JSON API: log in, then status,
// archive search with per-message download, and log tails.
#include "admin/api/api_context.h"

namespace mailtee::admin {
namespace {

const char kPage[] = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mailtee admin</title>
<style>body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}.hidden{display:none}#err{color:#b00}</style>
</head><body>
<h1>mailtee</h1><p id="err"></p>
<form id="login"><input id="user" placeholder="user" autocomplete="username">
<input id="password" type="password" placeholder="password" autocomplete="current-password">
<button>Log in</button></form>
<div id="main" class="hidden">
<p>Logged in as <b id="who"></b> <button id="logout">Log out</button></p>
<h2>Status</h2><pre id="status"></pre>
<h2>Archive</h2><form id="search"><input id="q_user" placeholder="user"><input id="q_from" placeholder="from">
<input id="q_to" placeholder="to"><input id="q_subject" placeholder="subject words"><button>Search</button></form>
<table><thead><tr><th>received</th><th>user</th><th>from</th><th>subject</th><th></th></tr></thead>
<tbody id="results"></tbody></table>
<h2>Logs</h2><select id="kind"><option>system</option><option>connections</option><option>received</option>
<option>relayed</option><option>failed</option><option>pop3</option></select>
<button id="showlogs">Show</button><pre id="logs"></pre>
</div><script src="/console.js"></script></body></html>
)HTML";

const char kScript[] = R"JS('use strict';
let csrf = '';
const $ = (id) => document.getElementById(id);
async function api(path, opts = {}) {
  opts.headers = Object.assign({'X-CSRF-Token': csrf}, opts.headers || {});
  const r = await fetch(path, opts);
  const body = r.headers.get('content-type').startsWith('application/json') ? await r.json() : await r.text();
  if (!r.ok) throw new Error(body.error || r.status);
  return body;
}
function show(loggedIn, user) {
  $('login').classList.toggle('hidden', loggedIn);
  $('main').classList.toggle('hidden', !loggedIn);
  $('who').textContent = user || '';
  if (loggedIn) refresh();
}
async function refresh() {
  try { $('status').textContent = JSON.stringify(await api('/api/status'), null, 2); }
  catch (e) { $('err').textContent = e.message; }
}
$('login').onsubmit = async (ev) => {
  ev.preventDefault();
  try {
    const r = await api('/api/login', {method: 'POST', headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({user: $('user').value, password: $('password').value})});
    $('password').value = ''; csrf = r.csrf_token; $('err').textContent = ''; show(true, r.user);
  } catch (e) { $('err').textContent = e.message; }
};
$('logout').onclick = async () => { try { await api('/api/logout', {method: 'POST'}); } catch (e) {} csrf = ''; show(false); };
$('search').onsubmit = async (ev) => {
  ev.preventDefault();
  const p = new URLSearchParams();
  for (const k of ['user', 'from', 'to', 'subject']) if ($('q_' + k).value) p.set(k, $('q_' + k).value);
  try {
    const r = await api('/api/archive/search?' + p);
    const tbody = $('results'); tbody.textContent = '';
    for (const m of r.messages) {
      const tr = document.createElement('tr');
      for (const v of [m.received_at, m.user, (m.from || [])[0] || m.envelope_from, m.subject]) {
        const td = document.createElement('td'); td.textContent = v || ''; tr.appendChild(td);
      }
      const td = document.createElement('td');
      if (m.has_eml) { const a = document.createElement('a'); a.href = '/api/archive/' + encodeURIComponent(m.id) + '/eml';
        a.textContent = '.eml'; td.appendChild(a); }
      tr.appendChild(td); tbody.appendChild(tr);
    }
  } catch (e) { $('err').textContent = e.message; }
};
$('showlogs').onclick = async () => {
  try { $('logs').textContent = (await api('/api/logs?lines=200&kind=' + $('kind').value)).lines.join('\n'); }
  catch (e) { $('err').textContent = e.message; }
};
api('/api/session').then((r) => { csrf = r.csrf_token; show(true, r.user); }).catch(() => show(false));
)JS";

}  // namespace

void AddConsoleRoutes(Router* router, ApiContext*) {
  router->Add("GET", "/", Access::kPublic, [](const Request&, Reply reply) {
    Response r;
    r.content_type = "text/html; charset=utf-8";
    r.body = kPage;
    reply(std::move(r));
  });
  router->Add("GET", "/console.js", Access::kPublic, [](const Request&, Reply reply) {
    Response r;
    r.content_type = "text/javascript; charset=utf-8";
    r.body = kScript;
    reply(std::move(r));
  });
}

}  // namespace mailtee::admin
