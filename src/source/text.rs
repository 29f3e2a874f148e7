//! Text as the readers meet it: the head of a file decoded whatever its encoding (UTF-8 with or
//! without BOM, UTF-16LE/BE with BOM), for sniffing and for reading the first records. Below every
//! reader, so that none imports another for it.

/// Head bytes as text: UTF-16LE or BE (with BOM) and UTF-8 (BOM stripped); invalid bytes
/// replaced.
pub fn decode_head(head: &[u8]) -> String {
    let utf16 = |rest: &[u8], unit: fn([u8; 2]) -> u16| {
        let units: Vec<u16> = rest.chunks_exact(2).map(|p| unit([p[0], p[1]])).collect();
        String::from_utf16_lossy(&units)
    };
    if let Some(rest) = head.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = head.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, u16::from_be_bytes);
    }
    let body = head.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(head);
    String::from_utf8_lossy(body).into_owned()
}
