// The digit page: draw on #pad, see the network's guess as you draw.
//
// The drawing is preprocessed here like scikit-learn's digits (and like the
// server's /guess, gone/serve.py fit_digit): crop to the ink's bounding box,
// scale it (aspect kept) to fit a box 4x the model's input size, centre it,
// then average each 4x4 block, so a pixel is the fraction of ink in its block
// (sklearn's 0..16 counts divided by 16). The pixels go to /api/predict.
"use strict";

const SUPERSAMPLE = 4;
const INK = 0.05 * 255; // a pixel brighter than this counts towards the bounding box
const pad = document.getElementById("pad");
const ctx = pad.getContext("2d", { willReadFrequently: true });
const preview = document.getElementById("preview");
const digitEl = document.getElementById("digit");
const barsEl = document.getElementById("bars");
const statusEl = document.getElementById("status");
let side = 8, classes = 10, drawing = false, last = null, timer = null, seq = 0;

function clearPad() {
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, pad.width, pad.height);
  seq += 1; // answers to earlier requests are ignored
  document.body.dataset.busy = "0";
  preview.getContext("2d").clearRect(0, 0, preview.width, preview.height);
  show(null);
}

function buildBars() {
  barsEl.textContent = "";
  for (let d = 0; d < classes; d++) {
    const bar = document.createElement("div");
    bar.className = "bar";
    bar.dataset.digit = d;
    bar.dataset.prob = "0";
    bar.innerHTML = `<span>${d}</span><span class="track"><span class="fill"></span></span>` +
      `<span class="value">0.0%</span>`;
    barsEl.appendChild(bar);
  }
}

function show(answer) {
  digitEl.textContent = answer ? String(answer.digit) : "\u2013";
  digitEl.dataset.digit = answer ? String(answer.digit) : "";
  barsEl.querySelectorAll(".bar").forEach((bar, d) => {
    const p = answer ? answer.probabilities[d] : 0;
    bar.dataset.prob = String(p);
    bar.classList.toggle("top", !!answer && d === answer.digit);
    bar.querySelector(".fill").style.width = `${(100 * p).toFixed(1)}%`;
    bar.querySelector(".value").textContent = `${(100 * p).toFixed(1)}%`;
  });
}

// The drawing as side*side floats in [0, 1], or null when nothing is drawn.
function downsample() {
  const { width, height } = pad;
  const img = ctx.getImageData(0, 0, width, height).data;
  let top = height, left = width, bottom = -1, right = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (img[4 * (y * width + x)] > INK) {
        if (y < top) top = y;
        if (y > bottom) bottom = y;
        if (x < left) left = x;
        if (x > right) right = x;
      }
    }
  }
  if (bottom < 0) return null;
  const bw = right - left + 1, bh = bottom - top + 1;
  const big = side * SUPERSAMPLE;
  const fit = side <= 8 ? big : Math.round(big * 20 / 28); // MNIST keeps a margin
  const scale = fit / Math.max(bw, bh);
  const w = Math.max(1, Math.round(bw * scale)), h = Math.max(1, Math.round(bh * scale));
  const off = document.createElement("canvas");
  off.width = off.height = big;
  const octx = off.getContext("2d", { willReadFrequently: true });
  octx.fillStyle = "#000";
  octx.fillRect(0, 0, big, big);
  octx.imageSmoothingEnabled = true;
  octx.imageSmoothingQuality = "high";
  octx.drawImage(pad, left, top, bw, bh, Math.floor((big - w) / 2), Math.floor((big - h) / 2), w, h);
  const data = octx.getImageData(0, 0, big, big).data;
  const pixels = new Array(side * side).fill(0);
  for (let y = 0; y < big; y++) {
    for (let x = 0; x < big; x++) {
      pixels[Math.floor(y / SUPERSAMPLE) * side + Math.floor(x / SUPERSAMPLE)] += data[4 * (y * big + x)];
    }
  }
  return pixels.map((v) => Math.min(1, v / (255 * SUPERSAMPLE * SUPERSAMPLE)));
}

function drawPreview(pixels) {
  const pctx = preview.getContext("2d");
  const img = pctx.createImageData(side, side);
  pixels.forEach((v, i) => {
    const g = Math.round(255 * v);
    img.data.set([g, g, g, 255], 4 * i);
  });
  pctx.putImageData(img, 0, 0);
}

async function predict() {
  clearTimeout(timer);
  timer = null;
  const pixels = downsample();
  if (!pixels) return show(null);
  drawPreview(pixels);
  const mine = ++seq;
  document.body.dataset.busy = "1";
  try {
    const res = await fetch("/api/predict", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ pixels }),
    });
    const answer = await res.json();
    if (mine !== seq) return;
    if (!res.ok) throw new Error(answer.error || res.statusText);
    show(answer);
    statusEl.textContent = "";
  } catch (err) {
    if (mine === seq) statusEl.textContent = `error: ${err.message}`;
  } finally {
    if (mine === seq) {
      document.body.dataset.busy = "0";
      document.body.dataset.answers = String(Number(document.body.dataset.answers || 0) + 1);
    }
  }
}

function schedule() {
  if (timer === null) timer = setTimeout(predict, 80); // at most one request per 80 ms
}

function point(event) {
  const rect = pad.getBoundingClientRect();
  return [(event.clientX - rect.left) * pad.width / rect.width,
          (event.clientY - rect.top) * pad.height / rect.height];
}

function stroke(from, to) {
  ctx.strokeStyle = "#fff";
  ctx.lineWidth = 22;
  ctx.lineCap = ctx.lineJoin = "round";
  ctx.beginPath();
  ctx.moveTo(...from);
  ctx.lineTo(...to);
  ctx.stroke();
}

pad.addEventListener("pointerdown", (event) => {
  event.preventDefault();
  pad.setPointerCapture(event.pointerId);
  drawing = true;
  last = point(event);
  stroke(last, last);
  schedule();
});
pad.addEventListener("pointermove", (event) => {
  if (!drawing) return;
  const p = point(event);
  stroke(last, p);
  last = p;
  schedule();
});
for (const type of ["pointerup", "pointercancel"]) {
  pad.addEventListener(type, () => {
    if (!drawing) return;
    drawing = false;
    predict();
  });
}
document.getElementById("clear").addEventListener("click", clearPad);

async function start() {
  try {
    const res = await fetch("/api/model");
    const model = await res.json();
    side = model.input_shape[model.input_shape.length - 1];
    classes = model.classes;
    preview.width = preview.height = side;
    document.getElementById("model").textContent =
      `${model.name}: ${side}x${side} pixels in, ${classes} classes out`;
  } catch (err) {
    statusEl.textContent = `could not load the model: ${err.message}`;
  }
  buildBars();
  clearPad();
  document.body.dataset.ready = "1";
}

start();
