// The page end to end in WebKit, Safari's engine (Debian's WebKitWebDriver and MiniBrowser): see cross-browser.mjs
// (the whole page) and cross-browser-embedding.mjs (the embedding).

import { embeddingSuite } from './cross-browser-embedding.mjs';
import { wholePageSuite } from './cross-browser.mjs';

wholePageSuite('webkit');
embeddingSuite('webkit');
