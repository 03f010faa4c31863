//! Native file dialogs (GTK on Linux through `rfd`). End-to-end tests cannot click a native
//! dialog, so in builds made for them (feature `e2e`; never the app staff install) variables
//! answer for the user when set: `CLINICDOCS_TEST_PICK_FILES` names a text file listing the
//! paths to "choose", one per line (read at each pick, so a test can change its answer; a photo
//! is its first line), `CLINICDOCS_TEST_SAVE_DIR` is where "saved" files go, and
//! `CLINICDOCS_TEST_PICK_FOLDER` is the folder "chosen" as the scanner folder. Everything after
//! the dialog runs the same code either way.

use std::path::PathBuf;

/// Files to upload, or none when the user cancels.
pub async fn pick_files() -> Vec<PathBuf> {
    #[cfg(feature = "e2e")]
    if let Some(list) = std::env::var_os("CLINICDOCS_TEST_PICK_FILES") {
        let text = std::fs::read_to_string(list).unwrap_or_default();
        return text.lines().map(str::trim).filter(|l| !l.is_empty()).map(PathBuf::from).collect();
    }
    rfd::AsyncFileDialog::new()
        .set_title("Choose documents to upload")
        .add_filter("Documents", &["pdf", "jpg", "jpeg", "png", "tif", "tiff", "webp", "bmp", "heic", "dcm"])
        .add_filter("All files", &["*"])
        .pick_files()
        .await
        .map(|files| files.into_iter().map(|f| f.path().to_path_buf()).collect())
        .unwrap_or_default()
}

/// Where to save `suggested`, or `None` when the user cancels.
pub async fn save_file(title: &str, suggested: &str) -> Option<PathBuf> {
    #[cfg(feature = "e2e")]
    if let Some(dir) = std::env::var_os("CLINICDOCS_TEST_SAVE_DIR") {
        return Some(PathBuf::from(dir).join(suggested));
    }
    rfd::AsyncFileDialog::new()
        .set_title(title)
        .set_file_name(suggested)
        .save_file()
        .await
        .map(|f| f.path().to_path_buf())
}

/// The folder the scanner writes into, or `None` when the user cancels.
pub async fn pick_folder() -> Option<PathBuf> {
    #[cfg(feature = "e2e")]
    if let Some(dir) = std::env::var_os("CLINICDOCS_TEST_PICK_FOLDER") {
        return Some(PathBuf::from(dir));
    }
    rfd::AsyncFileDialog::new()
        .set_title("Choose the folder your scanner saves into")
        .pick_folder()
        .await
        .map(|f| f.path().to_path_buf())
}

/// A picture to use as a patient's photo, or `None` when the user cancels. (In the e2e build
/// the first path listed in `CLINICDOCS_TEST_PICK_FILES` is "chosen".)
pub async fn pick_photo() -> Option<PathBuf> {
    #[cfg(feature = "e2e")]
    if let Some(list) = std::env::var_os("CLINICDOCS_TEST_PICK_FILES") {
        let text = std::fs::read_to_string(list).unwrap_or_default();
        return text.lines().map(str::trim).find(|l| !l.is_empty()).map(PathBuf::from);
    }
    rfd::AsyncFileDialog::new()
        .set_title("Choose the patient's photo")
        .add_filter("Pictures", &["jpg", "jpeg", "png", "tif", "tiff", "webp", "bmp"])
        .add_filter("All files", &["*"])
        .pick_file()
        .await
        .map(|f| f.path().to_path_buf())
}
