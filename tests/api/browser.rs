//! A real browser (headless Chromium over WebDriver) using the dashboard.
