// Chart helpers on uPlot (loaded once, on first use): time series and plain line charts that size
// themselves to their container (ResizeObserver) and keep their axes when there is no data.

const COLORS = ['#2563eb', '#d97706', '#059669', '#dc2626', '#7c3aed', '#0891b2'];
const HEIGHT = 220;

let uPlotModule = null;
function loadUPlot() {
  uPlotModule ??= import('/console/vendor/uplot/uPlot.esm.js').then((m) => m.default);
  return uPlotModule;
}

const yRange = (u, min, max) => {
  const lo = Number.isFinite(min) ? Math.min(0, min) : 0;
  const hi = Number.isFinite(max) && max > lo ? max * 1.1 : lo + 1;
  return [lo, hi];
};

/** An empty series still draws its axes: two x values (the last hour, or 0..1) with no points on them. */
function padData(x, series, time) {
  if (x.length > 0) return [x, ...series.map((s) => s.values)];
  const now = Math.floor(Date.now() / 1000);
  const px = time ? [now - 3600, now] : [0, 1];
  return [px, ...series.map(() => [null, null])];
}

/**
 * Draws a chart into container. opts: {title, x: [...], series: [{label, values, color}], time, xLabel, yLabel}.
 * Returns {setData(x, series), destroy()}.
 */
function chart(container, opts) {
  const handle = { plot: null, destroyed: false, observer: null, pending: null };
  container.classList.add('chart');
  container.replaceChildren();
  const build = (uPlot, x, series) => {
    handle.plot?.destroy();
    const width = Math.max(240, container.clientWidth || 600);
    handle.plot = new uPlot({
      title: opts.title,
      width,
      height: HEIGHT,
      scales: { x: { time: Boolean(opts.time) }, y: { range: yRange } },
      axes: [
        { label: opts.xLabel, stroke: '#444', grid: { stroke: '#eee' } },
        { label: opts.yLabel, stroke: '#444', grid: { stroke: '#eee' }, size: 60 },
      ],
      series: [
        { label: opts.time ? 'Time' : (opts.xLabel || 'x') },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: s.color || COLORS[i % COLORS.length],
          width: 2,
          spanGaps: true,
          points: { show: x.length < 60 },
        })),
      ],
    }, padData(x, series, opts.time), container);
    handle.seriesCount = series.length;
  };
  handle.setData = (x, series) => {
    loadUPlot().then((uPlot) => {
      if (handle.destroyed) return;
      if (handle.plot && handle.seriesCount === series.length && x.length > 0) {
        handle.plot.setData(padData(x, series, opts.time));
      } else {
        build(uPlot, x, series);
      }
    }, () => {
      container.replaceChildren();
      const p = document.createElement('p');
      p.className = 'state';
      p.setAttribute('data-state', 'error');
      p.textContent = 'Charts are unavailable: the chart library did not load.';
      container.append(p);
    });
  };
  handle.destroy = () => {
    handle.destroyed = true;
    handle.observer?.disconnect();
    handle.plot?.destroy();
  };
  if (typeof ResizeObserver === 'function') {
    handle.observer = new ResizeObserver(() => {
      const w = Math.max(240, container.clientWidth);
      if (handle.plot && Math.abs(handle.plot.width - w) > 2) handle.plot.setSize({ width: w, height: HEIGHT });
    });
    handle.observer.observe(container);
  }
  handle.setData(opts.x || [], opts.series || []);
  return handle;
}

/** x = unix seconds. */
export function timeChart(container, opts) {
  return chart(container, { ...opts, time: true });
}

/** x = plain numbers (e.g. training step). */
export function lineChart(container, opts) {
  return chart(container, { ...opts, time: false });
}
