(function () {
  var data = JSON.parse(document.getElementById('table-data').textContent);
  var PAGE = 50, page = 0, shown = [];
  var f = {cls: document.getElementById('f-class'), status: document.getElementById('f-status'),
           score: document.getElementById('f-score'), from: document.getElementById('f-from'),
           to: document.getElementById('f-to'), name: document.getElementById('f-name')};
  data.classes.forEach(function (c) {
    var o = document.createElement('option'); o.value = c; o.textContent = c; f.cls.appendChild(o);
  });
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function when(t) {
    var d = new Date(t * 1000);
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
      pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }
  function parseLocal(v) { return v ? new Date(v).getTime() / 1000 : null; }
  function apply() {
    var cls = f.cls.value, status = f.status.value, score = parseFloat(f.score.value) || 0,
        from = parseLocal(f.from.value), to = parseLocal(f.to.value),
        name = f.name.value.toLowerCase();
    shown = data.rows.filter(function (r) {
      if (cls && r[3] !== cls) return false;
      if (status && r[2] !== status) return false;
      if (score > 0 && !(r[4] !== null && r[4] >= score)) return false;
      if (from !== null && r[0] < from) return false;
      if (to !== null && r[0] > to) return false;
      if (name && data.names[r[1]].toLowerCase().indexOf(name) < 0) return false;
      return true;
    });
    page = 0; draw();
  }
  function cell(tr, text, num) {
    var td = document.createElement('td'); td.textContent = text;
    if (num) td.className = 'num'; tr.appendChild(td);
  }
  function draw() {
    var body = document.getElementById('rows'); body.textContent = '';
    var pages = Math.max(1, Math.ceil(shown.length / PAGE));
    page = Math.min(page, pages - 1);
    shown.slice(page * PAGE, (page + 1) * PAGE).forEach(function (r) {
      var tr = document.createElement('tr');
      cell(tr, when(r[0])); cell(tr, data.names[r[1]]); cell(tr, r[2]); cell(tr, r[3] || '');
      cell(tr, r[4] === null ? '' : r[4].toFixed(3), true);
      cell(tr, r[5] ? r[5].map(function (v) { return v.toFixed(1); }).join(', ') : '');
      cell(tr, r[6] === null ? '' : r[6].toFixed(2), true);
      cell(tr, r[7] || ''); cell(tr, String(r[8]), true);
      body.appendChild(tr);
    });
    document.getElementById('page-info').textContent = 'page ' + (page + 1) + ' of ' + pages +
      ' (' + shown.length + ' rows of ' + data.rows.length + ')';
    document.getElementById('prev').disabled = page === 0;
    document.getElementById('next').disabled = page >= pages - 1;
  }
  document.getElementById('prev').onclick = function () { page--; draw(); };
  document.getElementById('next').onclick = function () { page++; draw(); };
  ['cls', 'status', 'score', 'from', 'to', 'name'].forEach(function (k) {
    f[k].addEventListener('input', apply); f[k].addEventListener('change', apply);
  });
  apply();
  document.body.setAttribute('data-ready', '1');
})();
