(function () {
  var doc = JSON.parse(document.getElementById('report-data').textContent);
  var root = document.getElementById('reports');
  var drawn = 0;

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  // One series per combination of the text columns other than the x axis (split, cohort, funnel), and per drawn
  // value; the other numbers are in the table only.
  function series(report) {
    var cols = report.columns, x = cols.indexOf(report.chart.x);
    var ys = report.chart.y.map(function (c) { return cols.indexOf(c); });
    var keys = cols.map(function (c, i) { return i; }).filter(function (i) {
      return i !== x && ys.indexOf(i) < 0 && report.rows.every(function (row) { return typeof row[i] === 'string'; });
    });
    var xs = [], byName = {};
    report.rows.forEach(function (row) {
      var xv = String(row[x]);
      if (xs.indexOf(xv) < 0) { xs.push(xv); }
      var key = keys.map(function (i) { return row[i]; }).join(' · ');
      ys.forEach(function (yi) {
        var name = (key ? key + ' · ' : '') + cols[yi];
        (byName[name] = byName[name] || {})[xv] = row[yi];
      });
    });
    return {
      x: xs,
      series: Object.keys(byName).map(function (name) {
        return { name: name, type: report.chart.type, connectNulls: true, data: xs.map(function (xv) {
          return byName[name][xv] === undefined ? null : byName[name][xv];
        }) };
      })
    };
  }

  doc.reports.forEach(function (report) {
    var section = el('section', { id: report.id });
    section.appendChild(el('h2', {}, report.title));
    (report.notes || []).forEach(function (n) { section.appendChild(el('p', { 'class': 'note' }, n)); });
    var box = el('div', { 'class': 'chart', id: 'chart-' + report.id });
    section.appendChild(box);
    var details = el('details', {});
    details.appendChild(el('summary', {}, report.rows.length + ' rows'));
    var table = el('table', {}), head = el('tr', {});
    report.columns.forEach(function (c) { head.appendChild(el('th', {}, c)); });
    table.appendChild(head);
    report.rows.forEach(function (row) {
      var tr = el('tr', {});
      row.forEach(function (v) { tr.appendChild(el('td', typeof v === 'number' ? { 'class': 'n' } : {}, String(v))); });
      table.appendChild(tr);
    });
    details.appendChild(table);
    section.appendChild(details);
    root.appendChild(section);

    var s = series(report);
    box.setAttribute('data-points', String(s.x.length)); // points on the x axis, for a test to read
    var chart = echarts.init(box, null, { renderer: 'canvas' });
    chart.on('finished', function once() {
      chart.off('finished', once);
      drawn++;
      document.documentElement.setAttribute('data-charts-drawn', String(drawn));
    });
    chart.setOption({
      animation: false,
      tooltip: { trigger: 'axis' },
      legend: { type: 'scroll', top: 0 },
      grid: { top: 40, left: 60, right: 20, bottom: 60, containLabel: true },
      xAxis: { type: 'category', data: s.x, axisLabel: { rotate: s.x.length > 8 ? 30 : 0 } },
      yAxis: { type: 'value' },
      series: s.series
    });
  });
  document.documentElement.setAttribute('data-charts', String(doc.reports.length));
})();
