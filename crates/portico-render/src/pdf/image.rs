//! The vendor's logo: PNG or JPEG, checked by its bytes (never by a name or a declared type)
//! and turned into a PDF image.
//!
//! A JPEG goes into the PDF as it is (`DCTDecode`); a PNG is decoded, its colour and alpha
//! separated and each compressed again (`FlateDecode`), the alpha as a soft mask.

use std::fmt;

/// The largest file accepted.
pub const MAX_LOGO_BYTES: usize = 512 * 1024;
/// The longest side accepted, in pixels; decoding then needs at most 2000 × 2000 × 4 bytes.
pub const MAX_LOGO_SIDE: u32 = 2000;

/// Why a logo is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogoError {
    TooLarge,
    /// Neither PNG nor JPEG by its first bytes.
    NotPngOrJpeg,
    /// Wider or higher than [`MAX_LOGO_SIDE`], or empty.
    BadDimensions {
        width: u32,
        height: u32,
    },
    /// The file says PNG or JPEG but does not decode (or is CMYK, which invoices do not need).
    Unreadable(String),
}

impl fmt::Display for LogoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogoError::TooLarge => write!(f, "must be at most {} KiB", MAX_LOGO_BYTES / 1024),
            LogoError::NotPngOrJpeg => write!(f, "must be a PNG or JPEG image"),
            LogoError::BadDimensions { width, height } => write!(
                f,
                "is {width} × {height} pixels; each side must be 1 to {MAX_LOGO_SIDE}"
            ),
            LogoError::Unreadable(why) => write!(f, "cannot be read as an image: {why}"),
        }
    }
}

impl std::error::Error for LogoError {}

/// A checked logo: its type and size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckedLogo {
    /// `image/png` or `image/jpeg`.
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
}

/// Checks that `data` is a PNG or JPEG within the limits and decodes completely.
pub fn check_logo(data: &[u8]) -> Result<CheckedLogo, LogoError> {
    let image = PdfImage::decode(data)?;
    Ok(CheckedLogo {
        content_type: if image.jpeg {
            "image/jpeg"
        } else {
            "image/png"
        },
        width: image.width,
        height: image.height,
    })
}

/// An image ready for the PDF: its stream data and what the image dictionary says of it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PdfImage {
    pub(super) width: u32,
    pub(super) height: u32,
    /// `DeviceRGB` or `DeviceGray`.
    pub(super) color_space: &'static str,
    /// JPEG data as it came (`DCTDecode`); otherwise zlib-compressed samples (`FlateDecode`).
    pub(super) jpeg: bool,
    pub(super) data: Vec<u8>,
    /// Zlib-compressed 8-bit alpha, when the PNG has any transparency.
    pub(super) alpha: Option<Vec<u8>>,
}

impl PdfImage {
    pub(super) fn decode(data: &[u8]) -> Result<Self, LogoError> {
        if data.len() > MAX_LOGO_BYTES {
            return Err(LogoError::TooLarge);
        }
        if data.starts_with(b"\x89PNG\r\n\x1a\n") {
            decode_png(data)
        } else if data.starts_with(&[0xff, 0xd8, 0xff]) {
            decode_jpeg(data)
        } else {
            Err(LogoError::NotPngOrJpeg)
        }
    }
}

fn check_dimensions(width: u32, height: u32) -> Result<(), LogoError> {
    let ok = |side| (1..=MAX_LOGO_SIDE).contains(&side);
    if ok(width) && ok(height) {
        Ok(())
    } else {
        Err(LogoError::BadDimensions { width, height })
    }
}

fn decode_png(data: &[u8]) -> Result<PdfImage, LogoError> {
    let unreadable = |e: png::DecodingError| LogoError::Unreadable(e.to_string());
    let mut decoder = png::Decoder::new_with_limits(
        std::io::Cursor::new(data),
        png::Limits {
            bytes: (MAX_LOGO_SIDE * MAX_LOGO_SIDE * 4) as usize,
        },
    );
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    // The header alone first: dimensions are checked before any pixel is decoded.
    let header = decoder.read_header_info().map_err(unreadable)?;
    check_dimensions(header.width, header.height)?;
    let mut reader = decoder.read_info().map_err(unreadable)?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| LogoError::Unreadable("too large".to_owned()))?;
    let mut pixels = vec![0; size];
    let frame = reader.next_frame(&mut pixels).map_err(unreadable)?;
    pixels.truncate(frame.buffer_size());
    let (color, with_alpha) = match frame.color_type {
        png::ColorType::Grayscale => (1, false),
        png::ColorType::GrayscaleAlpha => (1, true),
        png::ColorType::Rgb => (3, false),
        png::ColorType::Rgba => (3, true),
        png::ColorType::Indexed => {
            return Err(LogoError::Unreadable("unexpanded palette".to_owned()));
        }
    };
    let (samples, alpha) = if with_alpha {
        let stride = color + 1;
        let mut samples = Vec::with_capacity(pixels.len() / stride * color);
        let mut alpha = Vec::with_capacity(pixels.len() / stride);
        for pixel in pixels.chunks_exact(stride) {
            samples.extend_from_slice(&pixel[..color]);
            alpha.push(pixel[color]);
        }
        let opaque = alpha.iter().all(|&a| a == 255);
        (samples, (!opaque).then_some(alpha))
    } else {
        (pixels, None)
    };
    let compress = |bytes: &[u8]| miniz_oxide::deflate::compress_to_vec_zlib(bytes, 6);
    Ok(PdfImage {
        width: frame.width,
        height: frame.height,
        color_space: if color == 1 {
            "DeviceGray"
        } else {
            "DeviceRGB"
        },
        jpeg: false,
        data: compress(&samples),
        alpha: alpha.as_deref().map(compress),
    })
}

/// Reads a JPEG's frame header (the first SOF marker) for its size and colour components; the
/// data itself goes into the PDF untouched.
fn decode_jpeg(data: &[u8]) -> Result<PdfImage, LogoError> {
    let unreadable = |why: &str| LogoError::Unreadable(why.to_owned());
    let mut at = 2;
    loop {
        let marker = data
            .get(at..at + 4)
            .ok_or_else(|| unreadable("no frame header"))?;
        if marker[0] != 0xff {
            return Err(unreadable("broken marker"));
        }
        let kind = marker[1];
        let length = usize::from(u16::from_be_bytes([marker[2], marker[3]]));
        let is_frame = matches!(kind, 0xc0..=0xcf) && !matches!(kind, 0xc4 | 0xc8 | 0xcc);
        if is_frame {
            let frame = data
                .get(at + 4..at + 2 + length)
                .filter(|f| f.len() >= 6)
                .ok_or_else(|| unreadable("short frame header"))?;
            let height = u32::from(u16::from_be_bytes([frame[1], frame[2]]));
            let width = u32::from(u16::from_be_bytes([frame[3], frame[4]]));
            check_dimensions(width, height)?;
            let color_space = match frame[5] {
                1 => "DeviceGray",
                3 => "DeviceRGB",
                n => return Err(LogoError::Unreadable(format!("{n} colour components"))),
            };
            if !data.ends_with(&[0xff, 0xd9]) {
                return Err(unreadable("cut short"));
            }
            return Ok(PdfImage {
                width,
                height,
                color_space,
                jpeg: true,
                data: data.to_vec(),
                alpha: None,
            });
        }
        if length < 2 {
            return Err(unreadable("broken segment"));
        }
        at += 2 + length;
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A `width` × `height` PNG, red with a transparent left half when `alpha`.
    pub(crate) fn png(width: u32, height: u32, alpha: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(if alpha {
            png::ColorType::Rgba
        } else {
            png::ColorType::Rgb
        });
        let mut writer = encoder.write_header().unwrap();
        let mut pixels = Vec::new();
        for _ in 0..height {
            for x in 0..width {
                pixels.extend_from_slice(&[200, 30, 30]);
                if alpha {
                    pixels.push(if x < width / 2 { 0 } else { 255 });
                }
            }
        }
        writer.write_image_data(&pixels).unwrap();
        writer.finish().unwrap();
        out
    }

    /// The smallest JPEG frame header a `width` × `height` RGB image could have.
    fn jpeg(width: u16, height: u16, components: u8) -> Vec<u8> {
        let mut data = vec![0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0, 0];
        data.extend_from_slice(&[0xff, 0xc0, 0x00, 0x0b, 8]);
        data.extend_from_slice(&height.to_be_bytes());
        data.extend_from_slice(&width.to_be_bytes());
        data.extend_from_slice(&[components, 1, 0x11, 0]);
        data.extend_from_slice(&[0xff, 0xd9]);
        data
    }

    #[test]
    fn pngs_are_decoded_with_their_alpha_apart() {
        let image = PdfImage::decode(&png(40, 20, true)).unwrap();
        assert_eq!((image.width, image.height, image.jpeg), (40, 20, false));
        assert_eq!(image.color_space, "DeviceRGB");
        let samples = miniz_oxide::inflate::decompress_to_vec_zlib(&image.data).unwrap();
        assert_eq!(samples.len(), 40 * 20 * 3);
        let alpha = miniz_oxide::inflate::decompress_to_vec_zlib(&image.alpha.unwrap()).unwrap();
        assert_eq!((alpha[0], alpha[39]), (0, 255));
        assert_eq!(PdfImage::decode(&png(4, 4, false)).unwrap().alpha, None);
        let checked = check_logo(&png(40, 20, false)).unwrap();
        assert_eq!(checked.content_type, "image/png");
    }

    #[test]
    fn jpegs_are_read_by_their_frame_header() {
        let checked = check_logo(&jpeg(300, 100, 3)).unwrap();
        assert_eq!(
            (checked.content_type, checked.width, checked.height),
            ("image/jpeg", 300, 100)
        );
        assert!(matches!(
            check_logo(&jpeg(300, 100, 4)),
            Err(LogoError::Unreadable(_))
        ));
        let mut cut = jpeg(300, 100, 3);
        cut.truncate(cut.len() - 2);
        assert!(matches!(check_logo(&cut), Err(LogoError::Unreadable(_))));
    }

    #[test]
    fn other_files_and_oversized_images_are_refused() {
        assert_eq!(check_logo(b"<svg></svg>"), Err(LogoError::NotPngOrJpeg));
        assert_eq!(check_logo(b"GIF89a"), Err(LogoError::NotPngOrJpeg));
        assert_eq!(check_logo(&[]), Err(LogoError::NotPngOrJpeg));
        assert_eq!(
            check_logo(&jpeg(2001, 10, 3)),
            Err(LogoError::BadDimensions {
                width: 2001,
                height: 10
            })
        );
        assert_eq!(
            check_logo(&png(MAX_LOGO_SIDE + 1, 1, false)),
            Err(LogoError::BadDimensions {
                width: MAX_LOGO_SIDE + 1,
                height: 1
            })
        );
        assert_eq!(
            check_logo(&vec![0xff; MAX_LOGO_BYTES + 1]),
            Err(LogoError::TooLarge)
        );
        let mut broken = png(10, 10, false);
        broken.truncate(40);
        assert!(matches!(check_logo(&broken), Err(LogoError::Unreadable(_))));
    }
}
