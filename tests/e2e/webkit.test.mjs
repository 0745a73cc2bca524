// The page end to end in WebKit, Safari's engine (Debian's WebKitWebDriver and MiniBrowser): see cross-browser.mjs.

import { crossBrowserSuite } from './cross-browser.mjs';

crossBrowserSuite('webkit');
