// The page end to end in Firefox (Debian's firefox-esr, over WebDriver BiDi): see cross-browser.mjs
// (the whole page) and cross-browser-embedding.mjs (the embedding).

import { embeddingSuite } from './cross-browser-embedding.mjs';
import { wholePageSuite } from './cross-browser.mjs';

wholePageSuite('firefox');
embeddingSuite('firefox');
