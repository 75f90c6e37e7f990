// Live training chart on a plain <canvas>: loss on top, accuracy below, sharing the epoch axis.
// Two stacked panels instead of one chart with two y axes, because loss and accuracy have
// unrelated scales and a dual axis invites reading crossings that mean nothing. Colours come from
// the page's CSS custom properties so the chart follows light/dark mode. No libraries.
// Options (all optional) let the federated demo plot model versions instead of epochs: xKey and
// xLabel, xMin (the first x, 1 by default), lossKey (null: no loss panel) and lossTitle, and
// accuracy: the accuracy series as [key, CSS colour property, fallback colour].

const PAD = { left: 58, right: 18, top: 10, bottom: 34 };
const GAP = 34; // between the two panels, room for the accuracy panel's title

function css(el, name, fallback) {
  const v = getComputedStyle(el).getPropertyValue(name).trim();
  return v || fallback;
}

// Round-number tick positions covering [lo, hi], at most about `count` of them.
function ticks(lo, hi, count) {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= count) ?? 10 * mag;
  const out = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toFixed(10));
  return out;
}

function niceMax(v) {
  if (!(v > 0)) return 1;
  const mag = 10 ** Math.floor(Math.log10(v));
  return [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].map((m) => m * mag).find((s) => s >= v);
}

const DEFAULTS = {
  xKey: 'epoch', xLabel: 'epoch', xMin: 1, lossKey: 'loss', lossTitle: 'Training loss (cross-entropy)',
  accuracy: [['trainAccuracy', '--c-train', '#0072b2'], ['testAccuracy', '--c-test', '#009e73']],
};

export class TrainingChart {
  constructor(canvas, options = {}) {
    this.canvas = canvas;
    this.opts = { ...DEFAULTS, ...options };
    this.state = { epochs: 10, points: [], baseline: null };
    this.observer = new ResizeObserver(() => this.draw());
    this.observer.observe(canvas);
  }

  reset(epochs, baseline) {
    this.state = { epochs, points: [], baseline };
    this.draw();
  }

  push(point) {
    this.state.points.push(point);
    this.draw();
  }

  // Replaces every point at once (the federated demo redraws from the server's record).
  setPoints(epochs, points, baseline) {
    this.state = { epochs, points: points.slice(), baseline };
    this.draw();
  }

  draw() {
    const { canvas } = this;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, canvas.clientWidth);
    const h = Math.max(1, canvas.clientHeight);
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);

    const o = this.opts;
    const colors = {
      text: css(canvas, '--muted', '#57606a'),
      grid: css(canvas, '--grid', '#e4e7eb'),
      loss: css(canvas, '--c-loss', '#d55e00'),
      base: css(canvas, '--c-base', '#8c959f'),
    };
    const font = css(document.documentElement, 'font-family', 'sans-serif');
    ctx.font = `12px ${font}`;

    const { epochs, points, baseline } = this.state;
    const x0 = PAD.left;
    const x1 = w - PAD.right;
    // lossKey null: the accuracy panel alone, over the whole height
    const plotH = o.lossKey ? (h - PAD.top - PAD.bottom - GAP) / 2 : 0;
    const lossBox = { top: PAD.top + 16, bottom: PAD.top + plotH };
    const accBox = o.lossKey ? { top: PAD.top + plotH + GAP + 16, bottom: h - PAD.bottom } : { top: PAD.top + 16, bottom: h - PAD.bottom };

    const xMin = o.xMin;
    const xMax = Math.max(xMin + 1, epochs);
    const xOf = (e) => x0 + ((e - xMin) / (xMax - xMin)) * (x1 - x0);

    const maxLoss = Math.max(0, ...points.map((p) => p[o.lossKey]).filter(Number.isFinite));
    const lossHi = niceMax(maxLoss || 1);
    const accValues = points.flatMap((p) => o.accuracy.map(([k]) => p[k])).filter(Number.isFinite);
    if (baseline != null) accValues.push(baseline);
    const accLo = Math.max(0, Math.min(0.5, Math.floor(Math.min(1, ...accValues) * 10) / 10));

    const panel = (box, lo, hi, title, fmt) => {
      const yOf = (v) => box.bottom - ((v - lo) / (hi - lo)) * (box.bottom - box.top);
      ctx.fillStyle = colors.text;
      ctx.textAlign = 'left';
      ctx.textBaseline = 'alphabetic';
      ctx.fillText(title, x0, box.top - 6);
      ctx.strokeStyle = colors.grid;
      ctx.lineWidth = 1;
      ctx.textAlign = 'right';
      ctx.textBaseline = 'middle';
      for (const t of ticks(lo, hi, 4)) {
        const y = Math.round(yOf(t)) + 0.5;
        ctx.beginPath();
        ctx.moveTo(x0, y);
        ctx.lineTo(x1, y);
        ctx.stroke();
        ctx.fillText(fmt(t), x0 - 8, y);
      }
      return yOf;
    };

    const line = (yOf, key, color, dashed = false, [lo, hi] = [-Infinity, Infinity]) => {
      const pts = points.filter((p) => Number.isFinite(p[key]) && Number.isFinite(p[o.xKey]));
      const y = (p) => yOf(Math.min(hi, Math.max(lo, p[key]))); // noisy (private) accuracies may leave [0, 1]
      if (!pts.length) return;
      ctx.strokeStyle = color;
      ctx.fillStyle = color;
      ctx.lineWidth = 2.25;
      ctx.lineJoin = 'round';
      ctx.setLineDash(dashed ? [7, 4] : []);
      ctx.beginPath();
      pts.forEach((p, i) => (i ? ctx.lineTo(xOf(p[o.xKey]), y(p)) : ctx.moveTo(xOf(p[o.xKey]), y(p))));
      ctx.stroke();
      ctx.setLineDash([]);
      if (xMax <= 60) {
        for (const p of pts) {
          ctx.beginPath();
          ctx.arc(xOf(p[o.xKey]), y(p), 2.6, 0, 2 * Math.PI);
          ctx.fill();
        }
      }
    };

    if (o.lossKey) {
      const yLoss = panel(lossBox, 0, lossHi, o.lossTitle, (v) => String(+v.toFixed(3)));
      line(yLoss, o.lossKey, colors.loss);
    }

    const yAcc = panel(accBox, accLo, 1, 'Accuracy', (v) => `${Math.round(v * 100)}%`);
    if (baseline != null) {
      ctx.strokeStyle = colors.base;
      ctx.lineWidth = 1.5;
      ctx.setLineDash([5, 5]);
      ctx.beginPath();
      ctx.moveTo(x0, yAcc(baseline));
      ctx.lineTo(x1, yAcc(baseline));
      ctx.stroke();
      ctx.setLineDash([]);
    }
    for (const [key, prop, fallback] of o.accuracy) line(yAcc, key, css(canvas, prop, fallback), false, [accLo, 1]);

    // Shared epoch axis under the accuracy panel.
    ctx.fillStyle = colors.text;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const xt = ticks(xMin, xMax, Math.max(2, Math.floor((x1 - x0) / 60))).filter((t) => Number.isInteger(t) && t >= xMin);
    for (const t of xt) ctx.fillText(String(t), xOf(t), accBox.bottom + 6);
    ctx.fillText(o.xLabel, (x0 + x1) / 2, accBox.bottom + 20);
  }
}
