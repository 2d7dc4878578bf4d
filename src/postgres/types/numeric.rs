//! Binary `numeric` → exact decimal text, the same text PostgreSQL's `numeric_out` prints.
//!
//! Wire format (`numeric_send` in src/backend/utils/adt/numeric.c): i16 ndigits, i16 weight,
//! u16 sign, u16 dscale, then ndigits base-10000 digits (i16). Digit k is worth
//! 10000^(weight - k); dscale is the number of decimal digits after the point.

const POS: u16 = 0x0000;
const NEG: u16 = 0x4000;
const NAN: u16 = 0xC000;
// PostgreSQL 14+ numeric infinities.
const PINF: u16 = 0xD000;
const NINF: u16 = 0xF000;

/// Appends the decimal text of one binary numeric to `out`.
pub(super) fn write_numeric_text(bytes: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    if bytes.len() < 8 {
        return Err(format!(
            "numeric needs an 8-byte header, got {} bytes",
            bytes.len()
        ));
    }
    let ndigits = i16::from_be_bytes([bytes[0], bytes[1]]);
    let weight = i16::from_be_bytes([bytes[2], bytes[3]]) as i32;
    let sign = u16::from_be_bytes([bytes[4], bytes[5]]);
    let dscale = u16::from_be_bytes([bytes[6], bytes[7]]) as i32;
    if ndigits < 0 || bytes.len() != 8 + 2 * ndigits as usize {
        return Err(format!(
            "numeric with {ndigits} digits has {} bytes",
            bytes.len()
        ));
    }
    match sign {
        POS => {}
        NEG => out.push(b'-'),
        NAN => {
            out.extend_from_slice(b"NaN");
            return Ok(());
        }
        PINF => {
            out.extend_from_slice(b"Infinity");
            return Ok(());
        }
        NINF => {
            out.extend_from_slice(b"-Infinity");
            return Ok(());
        }
        other => return Err(format!("numeric has invalid sign word 0x{other:04x}")),
    }
    if dscale > 0x3FFF {
        return Err(format!("numeric has invalid display scale {dscale}"));
    }
    let digits = &bytes[8..];
    let digit = |k: i32| -> Result<u16, String> {
        if k < 0 || k >= ndigits as i32 {
            return Ok(0);
        }
        let at = 2 * k as usize;
        let d = u16::from_be_bytes([digits[at], digits[at + 1]]);
        if d > 9999 {
            return Err(format!("numeric digit {d} is out of range 0..=9999"));
        }
        Ok(d)
    };

    // Integer part: digits 0..=weight, the first without leading zeros.
    if weight < 0 {
        out.push(b'0');
    } else {
        let first = digit(0)?;
        let mut buf = [0u8; 4];
        let text = four_digits(first, &mut buf);
        let skip = text.iter().take(3).take_while(|&&c| c == b'0').count();
        out.extend_from_slice(&text[skip..]);
        for k in 1..=weight {
            out.extend_from_slice(four_digits(digit(k)?, &mut buf));
        }
    }
    // Fraction: groups after the point start at digit weight+1; print exactly dscale digits.
    if dscale > 0 {
        out.push(b'.');
        let mut left = dscale as usize;
        let mut k = weight + 1;
        let mut buf = [0u8; 4];
        while left > 0 {
            let group = four_digits(digit(k)?, &mut buf);
            let take = left.min(4);
            out.extend_from_slice(&group[..take]);
            left -= take;
            k += 1;
        }
    }
    Ok(())
}

fn four_digits(d: u16, buf: &mut [u8; 4]) -> &[u8; 4] {
    buf[0] = b'0' + (d / 1000) as u8;
    buf[1] = b'0' + (d / 100 % 10) as u8;
    buf[2] = b'0' + (d / 10 % 10) as u8;
    buf[3] = b'0' + (d % 10) as u8;
    buf
}

/// Test helper: encode decimal text the way `numeric_send` does (no exponent support;
/// callers pass plain decimal text).
#[cfg(test)]
pub(crate) fn encode_numeric(text: &str) -> Vec<u8> {
    let (sign, body) = match text {
        "NaN" => {
            return [
                0i16.to_be_bytes(),
                0i16.to_be_bytes(),
                NAN.to_be_bytes(),
                0u16.to_be_bytes(),
            ]
            .concat()
        }
        t if t.starts_with('-') => (NEG, &t[1..]),
        t => (POS, t),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let dscale = frac.len() as u16;
    // Pad the integer part on the left and the fraction on the right to groups of 4.
    let int_pad = (4 - int.len() % 4) % 4;
    let frac_pad = (4 - frac.len() % 4) % 4;
    let int_s = format!("{}{}", "0".repeat(int_pad), int);
    let frac_s = format!("{}{}", frac, "0".repeat(frac_pad));
    let mut groups: Vec<u16> = int_s
        .as_bytes()
        .chunks(4)
        .chain(frac_s.as_bytes().chunks(4))
        .map(|c| std::str::from_utf8(c).unwrap().parse().unwrap())
        .collect();
    let mut weight = (int_s.len() / 4) as i16 - 1;
    // Strip leading and trailing zero groups like PostgreSQL's strip_var.
    while groups.first() == Some(&0) {
        groups.remove(0);
        weight -= 1;
    }
    while groups.last() == Some(&0) {
        groups.pop();
    }
    let sign = if groups.is_empty() { POS } else { sign };
    if groups.is_empty() {
        weight = 0;
    }
    let mut out = Vec::new();
    out.extend_from_slice(&(groups.len() as i16).to_be_bytes());
    out.extend_from_slice(&weight.to_be_bytes());
    out.extend_from_slice(&sign.to_be_bytes());
    out.extend_from_slice(&dscale.to_be_bytes());
    for g in groups {
        out.extend_from_slice(&g.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: &[u8]) -> String {
        let mut out = Vec::new();
        write_numeric_text(bytes, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn round_trips_edge_cases() {
        for t in [
            "0",
            "0.00",
            "-1.50",
            "1",
            "10000",
            "9999",
            "0.00000000000000000001",
            "123456789012345678901234567890.123",
            "-0.5",
            "100000000.0001",
            "NaN",
        ] {
            assert_eq!(text(&encode_numeric(t)), t);
        }
    }

    #[test]
    fn hand_built_one_e_minus_20() {
        // '1e-20'::numeric: weight -5, one digit 1, dscale 20 (what the server sends).
        let bytes = [0, 1, 0xFF, 0xFB, 0, 0, 0, 20, 0, 1];
        assert_eq!(text(&bytes), "0.00000000000000000001");
    }

    #[test]
    fn infinities_and_bad_input() {
        assert_eq!(text(&[0, 0, 0, 0, 0xD0, 0, 0, 0]), "Infinity");
        assert_eq!(text(&[0, 0, 0, 0, 0xF0, 0, 0, 0]), "-Infinity");
        let mut out = Vec::new();
        assert!(
            write_numeric_text(&[0, 1, 0, 0, 0, 0, 0, 0], &mut out).is_err(),
            "missing digit"
        );
        assert!(
            write_numeric_text(&[0, 1, 0, 0, 0, 0, 0, 0, 0x27, 0x10], &mut out).is_err(),
            "digit 10000"
        );
        assert!(
            write_numeric_text(&[0, 0, 0, 0, 0x12, 0x34, 0, 0], &mut out).is_err(),
            "bad sign"
        );
    }
}
