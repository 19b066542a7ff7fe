//! Numbers as people read them on the page.

/// `85264` as `85,264`.
pub fn thousands(n: usize) -> String {
    tinyml_engine::Thousands(n).to_string()
}

/// Bytes with a binary-kilobyte figure beside them when large: `85,264 B (83.3 KB)`.
pub fn bytes(n: usize) -> String {
    if n < 1024 {
        format!("{} B", thousands(n))
    } else {
        format!("{} B ({:.1} KB)", thousands(n), n as f64 / 1024.0)
    }
}

/// Milliseconds with sensible precision.
pub fn ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0} ms")
    } else if v >= 1.0 {
        format!("{v:.2} ms")
    } else {
        format!("{:.1} µs", v * 1000.0)
    }
}

/// A count such as MACs: `1,234,567`.
pub fn count(n: u64) -> String {
    thousands(n as usize)
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats() {
        assert_eq!(super::bytes(1536), "1,536 B (1.5 KB)");
        assert_eq!(super::bytes(512), "512 B");
        assert_eq!(super::ms(0.0123), "12.3 µs");
        assert_eq!(super::ms(12.345), "12.35 ms");
    }
}
