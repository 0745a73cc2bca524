// Loading models: the reference model shipped with the page (pinned), and the user's own file,
// chosen or dropped anywhere on the page. A refused model leaves the previous one in use.

import { $, notice } from './dom.js';
import { t, lang } from './i18n.js';
import { REFERENCE_MODEL_INTEGRITY } from './pins.js';

const REFERENCE_MODEL = 'models/german-credit-mlp.onnx';
const MAX_MODEL_MB = 64;

/**
 * What the upload panel needs of the page.
 * @typedef {object} ModelHost
 * @property {(bytes: ArrayBuffer, source: object) => Promise<object>} loadModel switches the page to a model
 * @property {() => boolean} isBusy whether a model is being loaded
 * @property {(busy: boolean) => void} setBusy
 */

function modelStatus(text, error) {
  notice('model-status', error ? '' : text);
  notice('model-error', error ? text : '');
}

/** Fetches the reference model (its SHA-256 is pinned in js/pins.js) and loads it. */
export async function loadReference(host) {
  const response = await fetch(REFERENCE_MODEL, { integrity: REFERENCE_MODEL_INTEGRITY });
  if (!response.ok) throw new Error(`${REFERENCE_MODEL}: HTTP ${response.status}`);
  const bytes = await response.arrayBuffer();
  return host.loadModel(bytes, { kind: 'reference' });
}

async function loadFile(host, file) {
  if (!file || host.isBusy()) return;
  const name = file.name;
  if (file.size > MAX_MODEL_MB * 1024 * 1024) {
    modelStatus(() => t('upload.refused', { name, message: t('upload.too_big', { name, limit: MAX_MODEL_MB }) }), true);
    return;
  }
  host.setBusy(true);
  modelStatus(() => t('upload.loading', { name }), false);
  try {
    const bytes = await file.arrayBuffer();
    await host.loadModel(bytes, { kind: 'file', name });
    modelStatus(() => t('upload.loaded', { name }), false);
  } catch (err) {
    let message = err?.message ?? String(err);
    if (!/[.!?。]$/.test(message)) message += '.';
    // The engine words its errors in English; other languages get the kind's summary first.
    const kind = `upload.kind.${err?.name}`;
    const explained = () => (lang() === 'en' || t(kind) === kind ? message : t('upload.detail', { summary: t(kind), message }));
    modelStatus(() => t('upload.refused', { name, message: explained() }), true);
  } finally {
    host.setBusy(false);
    $('model-file').value = '';
  }
}

/** Wires the file input, the page-wide drop and the "reference model again" button. */
export function setUpUpload(host) {
  const input = $('model-file');
  input.addEventListener('change', () => loadFile(host, input.files?.[0]));
  const zone = $('drop-zone');
  const over = (e) => {
    if (![...(e.dataTransfer?.types ?? [])].includes('Files')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    zone.classList.add('drop-zone--over');
  };
  // The whole page accepts a drop, so a missed target never makes the browser open the file.
  document.addEventListener('dragenter', over);
  document.addEventListener('dragover', over);
  document.addEventListener('dragleave', (e) => {
    if (e.relatedTarget == null) zone.classList.remove('drop-zone--over');
  });
  document.addEventListener('drop', (e) => {
    if (!e.dataTransfer?.files?.length) return;
    e.preventDefault();
    zone.classList.remove('drop-zone--over');
    loadFile(host, e.dataTransfer.files[0]);
  });
  $('reference-btn').addEventListener('click', async () => {
    if (host.isBusy()) return;
    host.setBusy(true);
    try {
      await loadReference(host);
      modelStatus('', false);
    } catch (err) {
      modelStatus(err.message, true);
    } finally {
      host.setBusy(false);
    }
  });
}
