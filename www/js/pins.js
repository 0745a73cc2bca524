// Written by `cargo xtask build`; do not edit. The reference model's SHA-256: the page fetches
// it with `integrity`, so a different file is refused. This module is itself pinned by the
// import map in index.html (see SECURITY.md).
export const REFERENCE_MODEL_INTEGRITY = 'sha256-ByupCVVFoMuovHnSkTVELr4jhmG0jsPb88M3+fzLEeo=';
export const REFERENCE_MODEL_SHA256 = '072ba9095545a0cba8bc79d29135442ebe238661b48ec3dbf3c337f9fccb11ea';
