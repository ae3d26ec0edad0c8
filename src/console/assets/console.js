// handoff console: the one script. Live validation and the TwiML preview as you type, SIP
// header rows, and the login page's #token= fragment. Every page works without it. It
// writes text only (textContent), never markup.
(function () {
  'use strict';

  // the login page: a link ending #token=... fills the field and leaves the address bar
  var token = document.getElementById('token');
  if (token && location.hash.indexOf('#token=') === 0) {
    token.value = decodeURIComponent(location.hash.slice(7));
    history.replaceState(null, '', location.pathname + location.search);
  }

  var form = document.getElementById('dest-form');
  if (!form) return;
  var headers = document.getElementById('headers');
  var addHeader = document.getElementById('add-header');
  var timer = null;
  var seq = 0;

  function rowOf(el) {
    while (el && !(el.classList && el.classList.contains('hdr-row'))) el = el.parentNode;
    return el;
  }

  function newRow() {
    var rows = headers.querySelectorAll('.hdr-row');
    var row = rows[rows.length - 1].cloneNode(true);
    row.querySelectorAll('input').forEach(function (i) { i.value = ''; });
    headers.insertBefore(row, addHeader);
    row.querySelector('input').focus();
  }

  addHeader.addEventListener('click', function (e) { e.preventDefault(); newRow(); });
  headers.addEventListener('click', function (e) {
    if (!e.target.classList.contains('rm-header')) return;
    e.preventDefault();
    var row = rowOf(e.target);
    if (headers.querySelectorAll('.hdr-row').length > 1) row.parentNode.removeChild(row);
    else row.querySelectorAll('input').forEach(function (i) { i.value = ''; });
    schedule();
  });

  function show(data) {
    var shown = {};
    (data.errors || []).forEach(function (e) {
      var el = form.querySelector('[data-error-for="' + e.field + '"]');
      if (el && !shown[e.field]) { el.textContent = e.msg; shown[e.field] = true; }
    });
    form.querySelectorAll('[data-error-for]').forEach(function (el) {
      if (!shown[el.getAttribute('data-error-for')]) el.textContent = '';
    });
    var pre = document.getElementById('preview');
    var perr = document.getElementById('preview-error');
    pre.textContent = data.twiml || '';
    perr.textContent = data.twiml ? '' : (data.preview_error || '');
    var lint = document.getElementById('lint');
    while (lint.firstChild) lint.removeChild(lint.firstChild);
    (data.lint || []).forEach(function (f) {
      var li = document.createElement('li');
      li.className = f.level;
      li.textContent = f.level + ' ' + f.code + ': ' + f.msg;
      lint.appendChild(li);
    });
    var cmd = document.getElementById('cmdline');
    if (cmd && data.cmdline) cmd.textContent = data.cmdline;
    var summary = document.getElementById('form-errors');
    if (summary && !(data.errors || []).length) summary.textContent = '';
    form.setAttribute('data-checked', String(seq));
  }

  function check() {
    var mine = ++seq;
    var body = new URLSearchParams(new FormData(form));
    var csrf = form.querySelector('input[name=csrf]').value;
    fetch(form.getAttribute('data-validate'), {
      method: 'POST', body: body, credentials: 'same-origin',
      headers: { 'Accept': 'application/json', 'X-CSRF-Token': csrf }
    }).then(function (r) { return r.json(); }).then(function (data) {
      if (mine === seq) show(data);
    }).catch(function () { /* the Save button still checks everything */ });
  }

  function schedule() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(check, 200);
  }

  form.addEventListener('input', schedule);
  check();
})();
