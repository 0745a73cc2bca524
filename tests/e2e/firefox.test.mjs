// The page end to end in Firefox (Debian's firefox-esr, over WebDriver BiDi): see cross-browser.mjs.

import { crossBrowserSuite } from './cross-browser.mjs';

crossBrowserSuite('firefox');
