//! The model as a C array (`model_data.cc` and `model_data.h`), as TFLM's examples keep theirs:
//! `alignas(16)` so the flatbuffer can be read in place, for people who build their own firmware.

use alloc::format;
use alloc::string::String;
use core::fmt::Write as _;

/// The header and the source for `model`, with `name` as the array's name (`g_model`).
/// `note` becomes a comment at the top of both (where the model came from, its arena size).
pub fn write(model: &[u8], name: &str, note: &str) -> (String, String) {
    let comment: String = note.lines().map(|l| format!("// {l}\n")).collect();
    let header = format!(
        "{comment}#ifndef MODEL_DATA_H_\n#define MODEL_DATA_H_\n\n\
         extern const unsigned char {name}[];\nextern const unsigned int {name}_len;\n\n\
         #endif  // MODEL_DATA_H_\n"
    );
    let mut source = format!(
        "{comment}#include \"model_data.h\"\n\n\
         alignas(16) const unsigned char {name}[] = {{\n"
    );
    for line in model.chunks(12) {
        source.push(' ');
        for b in line {
            let _ = write!(source, " 0x{b:02x},");
        }
        source.push('\n');
    }
    let _ = write!(
        source,
        "}};\nconst unsigned int {name}_len = {};\n",
        model.len()
    );
    (header, source)
}

/// The C export of `model` for `board` (header, source): the array `g_model` with a note of
/// where it came from (`file_name`, its size) and its arena size. The CLI and the page both call
/// this, so their `model_data.cc`/`.h` are the same bytes.
pub fn export(
    file_name: &str,
    model: &[u8],
    arena_bytes: usize,
    board: &crate::board::Board,
) -> (String, String) {
    let note = format!(
        "{file_name} ({} bytes), exported by tinyml for {}.\n\
         The TinyML Playground engine runs it in a {arena_bytes}-byte arena.",
        model.len(),
        board.name
    );
    write(model, "g_model", &note)
}

#[cfg(test)]
mod tests {
    #[test]
    fn array() {
        let (h, c) = super::write(&[1, 2, 255], "g_model", "hello");
        assert!(h.starts_with("// hello\n"));
        assert!(h.contains("extern const unsigned char g_model[];"));
        assert!(
            c.contains("alignas(16) const unsigned char g_model[] = {\n  0x01, 0x02, 0xff,\n};")
        );
        assert!(c.ends_with("const unsigned int g_model_len = 3;\n"));
    }
}
