// robosynth renders with the system's Chromium (Debian's /usr/bin/chromium, or ROBOSYNTH_CHROMIUM).
// Only where neither exists does puppeteer download its own browser on install.
const { existsSync } = require('node:fs');
const system = process.env.ROBOSYNTH_CHROMIUM || '/usr/bin/chromium';
module.exports = { skipDownload: existsSync(system) || process.env.PUPPETEER_SKIP_DOWNLOAD === '1' };
