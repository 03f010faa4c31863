//! Display set-up that has to happen before the web view starts. WebKitGTK's DMA-BUF renderer
//! needs a GPU render node; on a machine without one (virtual machines, remote desktops, Xvfb)
//! it keeps showing an old frame while the page has moved on, so the window looks frozen.
//! There the renderer is switched off unless the user chose otherwise.

/// The variable WebKitGTK reads; set by the user, it is left alone.
pub const DMABUF_SWITCH: &str = "WEBKIT_DISABLE_DMABUF_RENDERER";

/// Whether to switch the DMA-BUF renderer off, given the environment and the GPU render nodes.
pub fn disable_dmabuf(already_set: bool, has_render_node: bool) -> bool {
    cfg!(target_os = "linux") && !already_set && !has_render_node
}

/// Applies [`disable_dmabuf`] to this process. Call first thing in `main`, before any thread.
pub fn prepare() {
    let has_render_node = std::fs::read_dir("/dev/dri")
        .map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with("renderD")))
        .unwrap_or(false);
    if disable_dmabuf(std::env::var_os(DMABUF_SWITCH).is_some(), has_render_node) {
        std::env::set_var(DMABUF_SWITCH, "1");
    }
}

#[cfg(test)]
mod tests {
    use super::disable_dmabuf;

    #[test]
    fn frozen_window_without_gpu_switches_dmabuf_off_only_when_needed() {
        assert_eq!(disable_dmabuf(false, false), cfg!(target_os = "linux"));
        assert!(!disable_dmabuf(false, true), "a GPU keeps the fast renderer");
        assert!(!disable_dmabuf(true, false), "the user's own choice wins");
    }
}
