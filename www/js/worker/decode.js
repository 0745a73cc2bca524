// The bytes of an applicants file as UTF-8, whatever it was saved in: the wasm batch parser
// reads UTF-8 only, and the browser's own decoders (TextDecoderStream) know GBK, Windows-1252
// and UTF-16, so the engine does not grow. Same rules as the CLI's `--encoding`: a byte-order
// mark wins; otherwise the encoding the user chose; otherwise UTF-8 if the start of the file is
// UTF-8, else the file is refused with a message that says to choose its encoding.

/** Bytes looked at to decide whether a file without a BOM is UTF-8 (as the CLI does). */
const SNIFF_BYTES = 64 * 1024;

/** Encodings the batch panel offers (WHATWG labels); 'auto' is the rule above. */
export const ENCODINGS = ['auto', 'gbk', 'gb18030', 'big5', 'windows-1252', 'utf-16le', 'utf-16be', 'utf-8'];

/** The encoding a byte-order mark names, or null. */
function fromBom(head) {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return null;
}

/** True when `bytes` (a file's start, possibly cut inside a character) is UTF-8 without NULs. */
function looksUtf8(bytes) {
  if (bytes.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}

function inputError(message) {
  return Object.assign(new Error(message), { name: 'input' });
}

/**
 * Opens `file` as a stream of UTF-8 bytes.
 * @param {File} file
 * @param {string} chosen one of ENCODINGS
 * @param {(n: number) => void} onRead called with the number of file bytes read so far
 * @returns {Promise<{ stream: ReadableStream<Uint8Array>, encoding: string, how: 'bom'|'chosen'|'detected' }>}
 */
export async function utf8Stream(file, chosen, onRead) {
  if (!ENCODINGS.includes(chosen)) throw inputError(`unknown encoding "${chosen}"; choose one of ${ENCODINGS.join(', ')}`);
  const head = new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer());
  const bom = fromBom(head);
  let encoding;
  let how;
  if (bom) {
    encoding = bom;
    how = 'bom';
  } else if (chosen !== 'auto') {
    encoding = chosen;
    how = 'chosen';
  } else if (looksUtf8(head)) {
    encoding = 'utf-8';
    how = 'detected';
  } else {
    throw inputError(head.includes(0)
      ? 'the file is not UTF-8 text and has no byte-order mark (it has zero bytes: UTF-16?); choose its encoding (UTF-16LE or UTF-16BE) and score it again'
      : 'the file is not UTF-8 text; choose its encoding (GBK for a file Excel saved in Chinese, Windows-1252 for one saved in Western Europe) and score it again');
  }
  let read = 0;
  const counted = file.stream().pipeThrough(new TransformStream({
    transform(chunk, controller) {
      read += chunk.length;
      onRead(read);
      controller.enqueue(chunk);
    },
  }));
  // UTF-8 goes to the parser as it is (it strips a UTF-8 BOM itself).
  if (encoding === 'utf-8') return { stream: counted, encoding, how };
  let decoder;
  try {
    decoder = new TextDecoderStream(encoding, { fatal: true });
  } catch {
    throw inputError(`this browser cannot read ${encoding} files; save the file as UTF-8 (CSV UTF-8 in Excel)`);
  }
  const stream = counted
    .pipeThrough(decoder)
    .pipeThrough(new TextEncoderStream());
  return { stream: withDecodeErrors(stream, encoding), encoding, how };
}

/** Turns the decoder's TypeError into an `input` error that names the encoding. */
function withDecodeErrors(stream, encoding) {
  const reader = stream.getReader();
  return new ReadableStream({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (err) {
        controller.error(err?.name === 'TypeError'
          ? inputError(`the file is not valid ${encoding} text; choose the encoding it was saved in, or save it as UTF-8`)
          : err);
      }
    },
    cancel(reason) { return reader.cancel(reason); },
  });
}
