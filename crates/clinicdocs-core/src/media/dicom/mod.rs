//! DICOM, the format radiology sends X-rays in: parsing from memory (`file`), the grey-scale
//! display pipeline viewers agree on (`voi`), and frames drawn as pictures (`render`).

pub mod file;
pub mod render;
pub mod voi;

pub use file::{DicomDetails, DicomFile, DicomImageFacts, SpacingSource};
pub use render::{Decoded, GreyFrame, RenderError, Rendered};
pub use voi::{Voi, Window, WindowShape};
