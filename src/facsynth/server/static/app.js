// facsynth studio page: sliders per AU drive the photo, the sentence and the 3D face through the /api endpoints.
import * as THREE from 'three';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';

const $ = (id) => document.getElementById(id);
const MAX = 5;

// Everything the page knows; exposed as window.studio so that tests and curious users can look inside.
const state = {
  catalogue: null,
  jobs: {},
  aus: {},            // AU code -> intensity 0–5 (the sliders)
  track: null,        // a multi-frame track from speech, until a slider moves
  sides: {},          // one-sided AUs of the last parsed sentence, {"AU01": "L"}, kept while sliders move
  photoId: null,      // id of the uploaded photo on the server, null for the default face
  photoFile: null,    // the uploaded photo itself (for analyze)
  audioFile: null,
  videoUrl: null,     // the last speech video on the server
  pngBlob: null,      // the image shown, as PNG
  shownPhoto: null,   // the photo id that image was made from (null: the default face)
  renders: 0,         // images shown so far
  sentences: 0,       // descriptions shown so far
  mesh: null,         // {meshes, morphs: [names]} once the GLB is loaded
  videoFrame: null,   // frame of the speech track the 3D face shows while the video plays
  faceBox: null,      // where the face is in the photo, fractions {x0, y0, x1, y1}; null: whole image
  timeline: { time: 0, au: null, playing: false, keys: [], wave: null, edits: 0 },
};
window.studio = state;

// ------------------------------------------------------------------ small helpers

function setStatus(text, isError = false) {
  const el = $('status');
  el.textContent = text;
  el.classList.toggle('error', isError);
}

async function api(path, { json, form, method = 'POST' } = {}) {
  const init = { method };
  if (json !== undefined) {
    init.headers = { 'Content-Type': 'application/json' };
    init.body = JSON.stringify(json);
  } else if (form !== undefined) {
    init.body = form;
  }
  const res = await fetch(path, init);
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try { message = (await res.json()).error || message; } catch (e) { /* not JSON */ }
    throw new Error(message);
  }
  return res;
}

function fail(err) {
  setStatus(err.message || String(err), true);
}

function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

function saveBlob(blob, name) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
}

function nonZero(aus) {
  const out = {};
  for (const [code, v] of Object.entries(aus)) if (v > 0) out[code] = v;
  return out;
}

// The sliders as a one-frame track in the JSON track format, so that one-sided AUs stay one-sided.
function stillTrack() {
  const codes = Object.keys(nonZero(state.aus));
  const labels = codes.map((c) => `AU${c.padStart(2, '0')}`);
  const sides = Object.fromEntries(Object.entries(state.sides).filter(([au]) => labels.includes(au)));
  return { fps: 30, aus: labels, frames: [codes.map((c) => state.aus[c])], sides };
}

function expressionBody() {
  if (state.track) return { track: state.track };
  const still = stillTrack();
  return Object.keys(still.sides).length ? { track: still } : { aus: nonZero(state.aus) };
}

// Append the expression to an /api/edit form: the timeline's track, the one-sided still, or the sliders.
function appendExpression(form) {
  const body = expressionBody();
  form.append('aus', JSON.stringify(nonZero(state.aus)));
  if (body.track) form.append('track', JSON.stringify(body.track));
}

function has(...jobs) {
  return jobs.every((j) => state.jobs[j]);
}

// ------------------------------------------------------------------ sliders

function buildSliders() {
  const box = $('sliders');
  box.textContent = '';
  let region = null;
  const order = ['upper', 'middle', 'lower'];
  const aus = [...state.catalogue.aus].sort((a, b) => order.indexOf(a.region) - order.indexOf(b.region) || a.code - b.code);
  for (const au of aus) {
    if (au.region !== region) {
      region = au.region;
      const h = document.createElement('div');
      h.className = 'region';
      h.textContent = `${region} face`;
      box.appendChild(h);
    }
    const row = document.createElement('div');
    row.className = 'au';
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = au.name;
    row.title = `${au.label} ${au.name}: ${au.muscle}`;
    const label = document.createElement('label');
    label.htmlFor = `au-${au.code}`;
    label.textContent = au.label;
    const input = document.createElement('input');
    Object.assign(input, { type: 'range', min: 0, max: MAX, step: 0.1, value: 0, id: `au-${au.code}` });
    input.dataset.au = au.code;
    const out = document.createElement('output');
    out.id = `au-${au.code}-value`;
    out.textContent = '0.0';
    input.addEventListener('input', () => {
      state.aus[au.code] = Number(input.value);
      out.textContent = Number(input.value).toFixed(1);
      state.track = null;
      state.videoUrl = null;
      expressionChanged();
    });
    row.append(label, name, input, out);
    box.appendChild(row);
    state.aus[au.code] = 0;
  }
}

// Move the sliders to ``aus`` ({code: intensity}); AUs not named go to 0.
// ``sides`` ({"AU01": "L"}) are the one-sided AUs among them (a parsed sentence's); other callers clear them.
function setAus(aus, { keepTrack = false, sides = {} } = {}) {
  state.sides = sides;
  for (const au of state.catalogue.aus) {
    const v = Math.max(0, Math.min(MAX, Number(aus[au.code] ?? aus[String(au.code)] ?? 0)));
    state.aus[au.code] = v;
    $(`au-${au.code}`).value = v;
    $(`au-${au.code}-value`).textContent = v.toFixed(1);
  }
  if (!keepTrack) { state.track = null; state.videoUrl = null; }
  expressionChanged();
}

// ------------------------------------------------------------------ photo, sentence, mesh follow the sliders

let renderSeq = 0;
async function renderImage() {
  const seq = ++renderSeq;
  const photoId = state.photoId;
  const form = new FormData();
  appendExpression(form);
  if (photoId) form.append('photo', photoId);
  try {
    const blob = await (await api('/api/edit', { form })).blob();
    if (seq !== renderSeq) return;            // a newer request has been sent: drop this stale image
    const img = $('photo');
    if (img.src.startsWith('blob:')) URL.revokeObjectURL(img.src);
    img.src = URL.createObjectURL(blob);
    state.pngBlob = blob;
    state.shownPhoto = photoId;
    state.renders += 1;
    document.body.dataset.renders = state.renders;
    applyCrop();
    $('photo-note').textContent = state.photoId ? '' : 'the default face';
  } catch (err) {
    if (seq === renderSeq) $('photo-note').textContent = err.message;
  }
}

// The photo view zooms to the face: where a strong probe expression changes the re-expressed photo.
async function findFace(photoId) {
  const render = async (aus) => {
    const form = new FormData();
    form.append('aus', JSON.stringify(aus));
    form.append('photo', photoId);
    return createImageBitmap(await (await api('/api/edit', { form })).blob());
  };
  const [a, b] = await Promise.all([render({}), render({ 1: 5, 2: 5, 4: 3, 12: 5, 20: 4, 26: 5, 15: 3 })]);
  const w = 160, h = Math.max(1, Math.round(160 * a.height / a.width));
  const pixels = (bmp) => {
    const c = document.createElement('canvas');
    Object.assign(c, { width: w, height: h });
    const g = c.getContext('2d');
    g.drawImage(bmp, 0, 0, w, h);
    return g.getImageData(0, 0, w, h).data;
  };
  const pa = pixels(a), pb = pixels(b);
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = 4 * (y * w + x);
      if (Math.abs(pa[i] - pb[i]) + Math.abs(pa[i + 1] - pb[i + 1]) + Math.abs(pa[i + 2] - pb[i + 2]) > 60) {
        x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return null;
  // the moved area runs from the brows to the chin: pad it to take in the forehead, ears and chin
  const cx = (x0 + x1) / 2 / w, cy = (y0 + y1) / 2 / h;
  const half = 0.8 * Math.max((x1 - x0) / w * a.width, (y1 - y0) / h * a.height);  // pixels of the photo
  return { photoId, cx: cx * a.width, cy: cy * a.height, half, width: a.width, height: a.height };
}

// Show the face box of the photo filling the square frame (or the whole image).
function applyCrop() {
  const img = $('photo');
  const box = state.faceBox;
  const on = $('crop').checked && box && state.photoId && box.photoId === state.photoId && state.shownPhoto === state.photoId;
  img.classList.toggle('cropped', Boolean(on));
  if (!on) { img.style.width = img.style.left = img.style.top = ''; return; }
  const side = Math.min(2 * box.half, box.width, box.height);
  img.style.width = `${(box.width / side) * 100}%`;
  img.style.left = `${(0.5 - box.cx / side) * 100}%`;
  img.style.top = `${(0.5 - box.cy / side) * 100}%`;
}

let describeSeq = 0;
async function describeSliders() {
  if (!has('describe')) { $('sentence').textContent = 'describe is not available in this build'; return; }
  const seq = ++describeSeq;
  const wording = $('gender').value;
  const json = { aus: nonZero(state.aus), protocol: Number($('protocol').value), gender: wording === 'male' ? 'male' : 'female',
                 seed: 0 };
  try {
    const { sentence } = await (await api('/api/describe', { json })).json();
    if (seq !== describeSeq) return;
    $('sentence').textContent = wording === 'neutral' ? neutralWording(sentence) : sentence;
    state.sentences += 1;
  } catch (err) {
    if (seq === describeSeq) $('sentence').textContent = err.message;
  }
}

// describe writes "A woman … she … her"; the neutral wording the user can choose says "A person … they … their".
function neutralWording(sentence) {
  return sentence
    .replace(/\bA woman\b/g, 'A person').replace(/\ba woman\b/g, 'a person')
    .replace(/\b([Ss])he (has|is|does)\b/g, (m, s, verb) => `${s === 'S' ? 'T' : 't'}hey ${{ has: 'have', is: 'are', does: 'do' }[verb]}`)
    .replace(/\bShe\b/g, 'They').replace(/\bshe\b/g, 'they')
    .replace(/\bHer\b/g, 'Their').replace(/\bher\b/g, 'their')
    .replace(/\bherself\b/g, 'themself');
}

const expressionChanged = debounce(() => {
  renderImage();
  describeSliders();
  updateMorphs();
  drawTimeline();
}, 120);

// ------------------------------------------------------------------ 3D view

const view = { renderer: null, scene: null, camera: null, controls: null, model: null };

function initView() {
  const el = $('mesh-view');
  try {
    view.renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
  } catch (err) {
    $('mesh-note').textContent = 'this browser has no WebGL: the 3D view is off (the GLB download still works)';
    return;
  }
  view.renderer.setPixelRatio(window.devicePixelRatio || 1);
  view.renderer.setSize(el.clientWidth, el.clientHeight);
  el.appendChild(view.renderer.domElement);
  view.scene = new THREE.Scene();
  view.scene.background = new THREE.Color(0xe9ecf0);
  view.scene.add(new THREE.HemisphereLight(0xffffff, 0x667788, 1.6));
  const sun = new THREE.DirectionalLight(0xffffff, 1.8);
  sun.position.set(0.5, 1, 2);
  view.scene.add(sun);
  view.camera = new THREE.PerspectiveCamera(30, el.clientWidth / el.clientHeight, 0.001, 1000);
  view.controls = new OrbitControls(view.camera, view.renderer.domElement);
  view.controls.addEventListener('change', draw);
}

function draw() {
  if (view.renderer) view.renderer.render(view.scene, view.camera);
}

async function loadMesh() {
  if (!has('write_glb')) { $('mesh-note').textContent = 'the mesh job is not available in this build'; return; }
  const zero = Object.fromEntries(state.catalogue.aus.map((au) => [au.code, 0]));  // one morph target per AU
  const json = { aus: zero };
  if (state.photoId && has('mesh_person')) json.photo = state.photoId;
  const photoId = state.photoId;
  const buffer = await (await api('/api/mesh', { json })).arrayBuffer();
  if (photoId !== state.photoId) return;  // the photo changed meanwhile: a newer mesh is on its way
  const gltf = await new GLTFLoader().parseAsync(buffer, '');
  if (view.model) view.scene.remove(view.model);
  view.model = gltf.scene;
  const meshes = [];
  gltf.scene.traverse((o) => { if (o.isMesh && o.morphTargetDictionary) meshes.push(o); });
  const morphs = meshes.length ? Object.keys(meshes[0].morphTargetDictionary) : [];
  state.mesh = { meshes, morphs };
  $('mesh-note').textContent = `${json.photo ? 'the face of the photo' : 'the default face'}: ${morphs.length} morph targets`;
  if (!view.renderer) return;
  view.scene.add(gltf.scene);
  const box = new THREE.Box3().setFromObject(gltf.scene);
  const size = box.getSize(new THREE.Vector3()).length();
  const centre = box.getCenter(new THREE.Vector3());
  view.controls.target.copy(centre);
  view.camera.position.copy(centre).add(new THREE.Vector3(0, 0, size * 1.6));
  view.camera.near = size / 100;
  view.camera.far = size * 100;
  view.camera.updateProjectionMatrix();
  view.controls.update();
  updateMorphs();
}

// A morph target named after an AU ("AU12", …) takes that AU's intensity from ``aus``: 5 = weight 1.
function applyMorphs(aus) {
  if (!state.mesh) return;
  for (const mesh of state.mesh.meshes) {
    for (const [name, index] of Object.entries(mesh.morphTargetDictionary)) {
      const m = /^AU0*(\d+)/i.exec(name);
      if (m) mesh.morphTargetInfluences[index] = (aus[Number(m[1])] || 0) / MAX;
    }
  }
  draw();
}

function updateMorphs() {
  applyMorphs(state.aus);
}

// While the speech video plays, the 3D face follows the speech track frame by frame.
function followVideo() {
  const video = $('video');
  const track = state.track;
  if (!track || video.paused || video.ended) { updateMorphs(); return; }
  const i = Math.min(track.frames.length - 1, Math.floor(video.currentTime * track.fps));
  const aus = {};
  track.aus.forEach((label, j) => { aus[Number(label.replace(/^AU0*/, ''))] = track.frames[i][j]; });
  applyMorphs(aus);
  state.videoFrame = i;
  requestAnimationFrame(followVideo);
}

// ------------------------------------------------------------------ inputs

function dropZone(zone, input, onFile) {
  input.addEventListener('change', () => { if (input.files[0]) onFile(input.files[0]); });
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    if (e.dataTransfer.files[0]) onFile(e.dataTransfer.files[0]);
  });
}

async function usePhoto(file) {
  setStatus(`uploading ${file.name}…`);
  const form = new FormData();
  form.append('image', file);
  try {
    const { id, width, height } = await (await api('/api/photos', { form })).json();
    state.photoId = id;
    state.photoFile = file;
    state.faceBox = null;
    findFace(id).then((box) => { if (state.photoId === id) { state.faceBox = box; applyCrop(); } })
      .catch((err) => { $('photo-note').textContent = `face not located: ${err.message}`; });
    $('analyze-btn').disabled = !has('analyze_file');
    setStatus(`photo ${file.name}: ${width}×${height}`);
    expressionChanged();
    loadMesh().catch((err) => { $('mesh-note').textContent = err.message; });
  } catch (err) { fail(err); }
}

function useAudio(file) {
  state.audioFile = file;
  loadWave(file);
  $('audio-name').textContent = file.name;
  $('speak-btn').disabled = !has('speak');
}

async function parseText(event) {
  event.preventDefault();
  const text = $('text').value;
  const engine = $('engine').value;
  setStatus('reading the sentence…');
  $('explain').textContent = '';  // the last sentence's word attention no longer applies
  try {
    const res = await (await api('/api/parse', { json: { text, engine } })).json();
    setAus(res.aus, { sides: res.track ? res.track.sides || {} : {} });
    $('explain').textContent = res.explain ? Object.entries(res.explain)
      .map(([au, words]) => `AU${au} ← ${[...words].sort((a, b) => b[1] - a[1]).slice(0, 3)
        .map(([w, a]) => `${w} ${a.toFixed(2)}`).join(', ')}`).join(' · ') : '';
    setStatus(res.spec ? `parsed: ${res.spec}` : 'no facial movement found in the sentence');
  } catch (err) { fail(err); }
}

async function textEmotion() {
  setStatus('reading the feeling…');
  try {
    const res = await (await api('/api/emotion', { json: { text: $('text').value } })).json();
    setAus(res.aus);
    if ([...$('emotion').options].some((o) => o.value === res.emotion)) $('emotion').value = res.emotion;
    $('emotion-intensity').value = String(Math.round(res.intensity * 2) / 2);
    setStatus(`${res.emotion} at intensity ${res.intensity.toFixed(1)}`);
  } catch (err) { fail(err); }
}

async function applyEmotion() {
  const json = { emotion: $('emotion').value, intensity: Number($('emotion-intensity').value) };
  try {
    const res = await (await api('/api/emotion', { json })).json();
    setAus(res.aus);
    setStatus(`${res.emotion} at intensity ${json.intensity}`);
  } catch (err) { fail(err); }
}

async function analyzePhoto() {
  if (!state.photoFile) return;
  setStatus('reading the AUs of the photo…');
  const form = new FormData();
  form.append('image', state.photoFile);
  try {
    const res = await (await api('/api/analyze', { form })).json();
    setAus(res.aus);
    setStatus('AUs read from the photo');
  } catch (err) { fail(err); }
}

async function speak() {
  if (!state.audioFile) return;
  setStatus('animating the speech… (this takes a few seconds)');
  $('speak-btn').disabled = true;
  const form = new FormData();
  form.append('audio', state.audioFile);
  if ($('transcript').value.trim()) form.append('transcript', $('transcript').value.trim());
  if (state.photoId) form.append('photo', state.photoId);
  try {
    const res = await (await api('/api/speak', { form })).json();
    setAus(res.mean, { keepTrack: true });
    useTrack(res.track, 'speech');
    state.videoUrl = res.video;
    if (res.video) { $('video').src = res.video; $('video').play().catch(() => {}); }
    setStatus(`speech: ${res.track.frames.length} frames at ${res.track.fps} fps`);
  } catch (err) { fail(err); } finally { $('speak-btn').disabled = false; }
}

async function download(kind) {
  setStatus(`preparing ${kind}…`);
  try {
    let blob;
    if (kind === 'png') {
      blob = state.pngBlob;
    } else if (kind === 'mp4' && state.videoUrl) {
      blob = await (await api(state.videoUrl, { method: 'GET' })).blob();
    } else if (kind === 'mp4') {
      const form = new FormData();
      appendExpression(form);  // the (edited) timeline, or the sliders
      form.append('format', 'mp4');
      if (state.photoId) form.append('photo', state.photoId);
      blob = await (await api('/api/edit', { form })).blob();
    } else {
      blob = await (await api(`/api/export/${kind}`, { json: expressionBody() })).blob();
    }
    if (!blob) throw new Error('nothing to download yet');
    saveBlob(blob, `facsynth.${kind}`);
    setStatus(`downloaded facsynth.${kind}`);
  } catch (err) { fail(err); }
}

// ------------------------------------------------------------------ timeline: curves, waveform, keyframes

const colour = (j) => `hsl(${(j * 137.5 + 215) % 360} 70% 40%)`;  // golden-angle hues: neighbours differ
const PAD = { left: 34, right: 10, top: 10, bottom: 22 };
const tl = state.timeline;
let drag = null;          // {j, key} while a keyframe is dragged, 'scrub' while the playhead is

const auCode = (label) => Number(String(label).replace(/^AU0*/i, ''));
const duration = (track) => Math.max(track.frames.length - 1, 1) / track.fps;

// Keyframes of a track: every ``step`` frames and the last one (at most about 40 per AU).
function keyFrames(track) {
  const n = track.frames.length;
  const step = Math.max(1, Math.ceil(n / 40));
  const keys = [];
  for (let i = 0; i < n; i += step) keys.push(i);
  if (keys[keys.length - 1] !== n - 1) keys.push(n - 1);
  return keys;
}

function geometry(track) {
  const c = $('tl-canvas');
  const w = c.clientWidth, h = c.clientHeight;
  const x = (t) => PAD.left + (t / duration(track)) * (w - PAD.left - PAD.right);
  const y = (v) => PAD.top + (1 - v / MAX) * (h - PAD.top - PAD.bottom);
  const t = (px) => Math.max(0, Math.min(duration(track), ((px - PAD.left) / (w - PAD.left - PAD.right)) * duration(track)));
  const v = (py) => Math.max(0, Math.min(MAX, (1 - (py - PAD.top) / (h - PAD.top - PAD.bottom)) * MAX));
  return { w, h, x, y, t, v };
}

function refreshAuChoice() {
  const sel = $('tl-au');
  const track = state.track;
  const labels = track ? track.aus : [];
  if ([...sel.options].map((o) => o.value).join() !== labels.join()) {
    sel.textContent = '';
    for (const label of labels) {
      const opt = document.createElement('option');
      opt.value = opt.textContent = label;
      sel.appendChild(opt);
    }
  }
  if (track && !labels.includes(tl.au)) {  // the AU that moves most
    const peak = (j) => Math.max(...track.frames.map((f) => f[j]));
    tl.au = labels.reduce((best, l, j) => (peak(j) > peak(labels.indexOf(best)) ? l : best), labels[0]);
  }
  if (tl.au) sel.value = tl.au;
}

function drawTimeline() {
  const c = $('tl-canvas');
  const ratio = window.devicePixelRatio || 1;
  c.width = Math.round(c.clientWidth * ratio);
  c.height = Math.round(c.clientHeight * ratio);
  const g = c.getContext('2d');
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, c.clientWidth, c.clientHeight);
  g.font = '11px system-ui, sans-serif';
  const track = state.track;
  refreshAuChoice();
  if (!track) {
    g.fillStyle = '#66707c';
    g.fillText('No track yet: animate speech, import a track, or make a clip from the sliders.', 12, 24);
    tl.keys = [];
    legend([]);
    return;
  }
  const geo = geometry(track);
  g.strokeStyle = '#e3e7ec';
  g.fillStyle = '#66707c';
  for (let v = 0; v <= MAX; v++) {           // intensity grid
    g.beginPath(); g.moveTo(PAD.left, geo.y(v)); g.lineTo(geo.w - PAD.right, geo.y(v)); g.stroke();
    g.fillText(String(v), 8, geo.y(v) + 4);
  }
  const step = duration(track) > 10 ? 5 : duration(track) > 3 ? 1 : 0.5;
  for (let t = 0; t <= duration(track) + 1e-9; t += step) g.fillText(`${t.toFixed(step < 1 ? 1 : 0)} s`, geo.x(t) - 8, geo.h - 6);
  if (tl.wave) {                              // speech waveform, behind the curves, on the same time axis
    g.fillStyle = 'rgba(102, 112, 124, 0.25)';
    const mid = (geo.y(0) + geo.y(MAX)) / 2, amp = (geo.y(0) - geo.y(MAX)) / 2;
    const { env, seconds } = tl.wave;
    for (let px = PAD.left; px < geo.w - PAD.right; px++) {
      const t = geo.t(px);
      if (t > seconds) break;
      const a = env[Math.min(env.length - 1, Math.floor((t / seconds) * env.length))] * amp;
      g.fillRect(px, mid - a, 1, 2 * a);
    }
  }
  const moving = [];
  track.aus.forEach((label, j) => {            // one curve per AU that moves
    const values = track.frames.map((f) => f[j]);
    if (Math.max(...values) <= 0 && label !== tl.au) return;
    g.strokeStyle = colour(j);
    g.lineWidth = label === tl.au ? 2.5 : 1.2;
    g.beginPath();
    values.forEach((v, i) => { const px = geo.x(i / track.fps), py = geo.y(v); i ? g.lineTo(px, py) : g.moveTo(px, py); });
    g.stroke();
    moving.push([label, colour(j)]);
  });
  legend(moving);
  const j = track.aus.indexOf(tl.au);          // keyframes of the selected AU
  tl.keys = j < 0 ? [] : keyFrames(track).map((i) => ({ frame: i, x: geo.x(i / track.fps), y: geo.y(track.frames[i][j]) }));
  g.fillStyle = '#fff';
  g.strokeStyle = colour(j);
  g.lineWidth = 1.5;
  for (const k of tl.keys) { g.beginPath(); g.arc(k.x, k.y, 4.5, 0, 2 * Math.PI); g.fill(); g.stroke(); }
  g.strokeStyle = '#b3261e';                    // playhead
  g.lineWidth = 1.5;
  g.beginPath(); g.moveTo(geo.x(tl.time), PAD.top); g.lineTo(geo.x(tl.time), geo.h - PAD.bottom); g.stroke();
  $('tl-time').textContent = `${tl.time.toFixed(2)} s / ${duration(track).toFixed(2)} s`;
}

// Colour key of the curves; a click picks the AU whose keyframes are edited.
function legend(entries) {
  const box = $('tl-legend');
  const text = entries.map(([label]) => label).join() + `|${tl.au}`;
  if (box.dataset.shown === text) return;
  box.dataset.shown = text;
  box.textContent = '';
  for (const [label, colour] of entries) {
    const chip = document.createElement('button');
    Object.assign(chip, { type: 'button', className: `chip${label === tl.au ? ' on' : ''}`, textContent: label });
    chip.style.setProperty('--c', colour);
    chip.addEventListener('click', () => { tl.au = label; drawTimeline(); });
    box.appendChild(chip);
  }
}

function frameAt(track, t) {
  const i = Math.max(0, Math.min(track.frames.length - 1, Math.round(t * track.fps)));
  const aus = {};
  track.aus.forEach((label, j) => { aus[auCode(label)] = track.frames[i][j]; });
  return aus;
}

// Move the playhead; the sliders, photo, sentence and 3D face show that frame.
function setTime(t, { render = true } = {}) {
  const track = state.track;
  if (!track) return;
  tl.time = Math.max(0, Math.min(duration(track), t));
  const aus = frameAt(track, tl.time);
  if (render) setAus(aus, { keepTrack: true }); else applyMorphs(aus);
  drawTimeline();
}

// Drag keyframe ``key`` of AU column ``j`` to value ``v``: the frames between its neighbouring keys follow with a
// weight falling linearly to 0 at those keys, so the curve's own detail is kept.
function moveKey(track, j, key, v) {
  const keys = keyFrames(track);
  const at = keys.indexOf(key);
  const prev = at > 0 ? keys[at - 1] : key, next = at < keys.length - 1 ? keys[at + 1] : key;
  const dv = v - track.frames[key][j];
  for (let i = prev; i <= next; i++) {
    const w = i === key ? 1 : i < key ? (i - prev) / (key - prev) : (next - i) / (next - key);
    track.frames[i][j] = Math.round(Math.max(0, Math.min(MAX, track.frames[i][j] + dv * w)) * 1000) / 1000;
  }
  state.videoUrl = null;  // the speech video no longer shows this track
}

function pointer(e) {
  const r = $('tl-canvas').getBoundingClientRect();
  return { x: e.clientX - r.left, y: e.clientY - r.top };
}

function timelineDown(e) {
  const track = state.track;
  if (!track) return;
  const p = pointer(e);
  const key = tl.keys.find((k) => Math.abs(k.x - p.x) <= 8 && Math.abs(k.y - p.y) <= 10);
  drag = key ? { j: track.aus.indexOf(tl.au), key: key.frame } : 'scrub';
  $('tl-canvas').setPointerCapture(e.pointerId);
  timelineMove(e);
}

function timelineMove(e) {
  if (!drag || !state.track) return;
  const geo = geometry(state.track);
  const p = pointer(e);
  if (drag === 'scrub') { setTime(geo.t(p.x), { render: false }); return; }
  moveKey(state.track, drag.j, drag.key, geo.v(p.y));
  tl.time = drag.key / state.track.fps;
  applyMorphs(frameAt(state.track, tl.time));
  drawTimeline();
}

function timelineUp() {
  if (!drag) return;
  if (drag !== 'scrub') tl.edits += 1;
  drag = null;
  setTime(tl.time);  // the photo and sentence catch up once the hand is lifted
}

// Play from the playhead: with the speech audio when there is some, else on the clock.
let player = null;
function play() {
  const track = state.track;
  if (!track) return;
  if (tl.playing) { stop(); return; }
  if (tl.time >= duration(track) - 1e-3) tl.time = 0;
  tl.playing = true;
  $('tl-play').textContent = 'Pause';
  const audio = state.audioFile ? new Audio(URL.createObjectURL(state.audioFile)) : null;
  const t0 = performance.now() / 1000 - tl.time;
  if (audio) { audio.currentTime = tl.time; audio.play().catch(() => {}); }
  player = { audio };
  const tick = () => {
    if (!tl.playing) return;
    const t = audio && !audio.paused ? audio.currentTime : performance.now() / 1000 - t0;
    if (t >= duration(track)) { stop(); setTime(duration(track)); return; }
    setTime(t, { render: false });
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

function stop() {
  tl.playing = false;
  $('tl-play').textContent = 'Play';
  if (player && player.audio) { player.audio.pause(); URL.revokeObjectURL(player.audio.src); }
  player = null;
  setTime(tl.time);
}

// Amplitude envelope of the speech file for the waveform: 4000 bins of the peak |sample|, 0–1.
async function loadWave(file) {
  try {
    const ctx = new OfflineAudioContext(1, 1, 16000);
    const buffer = await ctx.decodeAudioData(await file.arrayBuffer());
    const data = buffer.getChannelData(0);
    const bins = 4000, env = new Float32Array(bins);
    const per = Math.max(1, Math.floor(data.length / bins));
    let top = 1e-6;
    for (let b = 0; b < bins; b++) {
      let m = 0;
      for (let i = b * per; i < Math.min(data.length, (b + 1) * per); i++) m = Math.max(m, Math.abs(data[i]));
      env[b] = m;
      top = Math.max(top, m);
    }
    for (let b = 0; b < bins; b++) env[b] /= top;
    tl.wave = { env, seconds: buffer.duration };
  } catch (err) {
    tl.wave = null;
    $('tl-note').textContent = `no waveform: ${err.message}`;
  }
  drawTimeline();
}

// A 2 s clip at 30 fps: neutral → the sliders' expression over 1 s, then held.
function clipFromSliders() {
  const active = Object.entries(nonZero(state.aus));
  if (!active.length) { setStatus('move a slider first: the clip goes from neutral to the sliders\' expression', true); return; }
  const labels = active.map(([code]) => `AU${String(code).padStart(2, '0')}`);
  const frames = [];
  for (let i = 0; i < 60; i++) frames.push(active.map(([, v]) => Math.round(v * Math.min(1, i / 30) * 1000) / 1000));
  useTrack({ fps: 30, aus: labels, frames }, 'a 2 s clip from the sliders');
}

function useTrack(track, what) {
  state.track = track;
  state.videoUrl = null;
  tl.time = 0;
  tl.au = null;
  drawTimeline();
  setStatus(`${what}: ${track.frames.length} frames at ${track.fps} fps`);
}

async function importTrack(file) {
  try {
    const obj = JSON.parse(await file.text());
    const ok = obj && Array.isArray(obj.aus) && Array.isArray(obj.frames) && obj.frames.length > 0 && Number(obj.fps) > 0
      && obj.frames.every((f) => Array.isArray(f) && f.length === obj.aus.length && f.every((v) => Number.isFinite(v)));
    if (!ok) throw new Error(`${file.name} is not a facsynth track (JSON with fps, aus and frames)`);
    useTrack({ fps: Number(obj.fps), aus: obj.aus.map(String), frames: obj.frames }, `imported ${file.name}`);
    setTime(0);
  } catch (err) { fail(err); }
}

// Every format the server exports (its format registry, as the OpenAPI schema lists the export kinds) gets a
// download button: the page's own buttons carry friendlier names, a format added later appears by its key.
async function addRegistryDownloads() {
  try {
    const spec = await (await api('/openapi.json', { method: 'GET' })).json();
    const kind = spec.paths['/api/export/{kind}'].post.parameters.find((p) => p.name === 'kind');
    for (const key of kind.schema.enum) {
      if (document.querySelector(`[data-download="${CSS.escape(key)}"]`)) continue;
      const btn = document.createElement('button');
      Object.assign(btn, { type: 'button', textContent: key.toUpperCase() });
      btn.dataset.download = key;
      $('downloads').appendChild(btn);
    }
    state.exportKinds = kind.schema.enum;
  } catch (err) { /* the page's own buttons still work */ }
}

// ------------------------------------------------------------------ start

async function start() {
  try {
    const [health, catalogue] = await Promise.all([
      (await api('/api/health', { method: 'GET' })).json(),
      (await api('/api/catalogue', { method: 'GET' })).json(),
    ]);
    state.jobs = health.jobs;
    state.catalogue = catalogue;
  } catch (err) { fail(err); return; }
  for (const el of document.querySelectorAll('[data-job]')) {
    const missing = el.dataset.job.split(' ').filter((j) => !state.jobs[j]);
    if (missing.length) {
      el.disabled = true;
      el.title = `not available in this build (${missing.join(', ')})`;
    }
  }
  for (const name of state.catalogue.emotions) {
    const opt = document.createElement('option');
    opt.value = opt.textContent = name;
    $('emotion').appendChild(opt);
  }
  buildSliders();
  $('text-form').addEventListener('submit', parseText);
  $('feel-btn').addEventListener('click', textEmotion);
  $('emotion-btn').addEventListener('click', applyEmotion);
  $('neutral-btn').addEventListener('click', () => setAus({}));
  $('default-face').addEventListener('click', () => {
    state.photoId = null;
    state.photoFile = null;
    $('analyze-btn').disabled = true;
    expressionChanged();
    loadMesh().catch((err) => { $('mesh-note').textContent = err.message; });
  });
  $('analyze-btn').addEventListener('click', analyzePhoto);
  $('speak-btn').addEventListener('click', speak);
  $('protocol').addEventListener('change', describeSliders);
  $('gender').addEventListener('change', describeSliders);
  await addRegistryDownloads();
  for (const btn of document.querySelectorAll('[data-download]')) {
    btn.addEventListener('click', () => download(btn.dataset.download));
  }
  $('video').addEventListener('play', followVideo);
  $('crop').addEventListener('change', applyCrop);
  $('tl-play').addEventListener('click', play);
  $('tl-clip').addEventListener('click', clipFromSliders);
  $('tl-au').addEventListener('change', () => { tl.au = $('tl-au').value; drawTimeline(); });
  $('tl-import').addEventListener('change', () => { if ($('tl-import').files[0]) importTrack($('tl-import').files[0]); });
  $('tl-canvas').addEventListener('pointerdown', timelineDown);
  $('tl-canvas').addEventListener('pointermove', timelineMove);
  $('tl-canvas').addEventListener('pointerup', timelineUp);
  window.addEventListener('resize', drawTimeline);
  dropZone($('photo-drop'), $('photo-file'), usePhoto);
  dropZone($('audio-drop'), $('audio-file'), useAudio);
  initView();
  expressionChanged();
  loadMesh().catch((err) => { $('mesh-note').textContent = err.message; });
  document.body.dataset.ready = '1';
  setStatus('ready');
}

start();
