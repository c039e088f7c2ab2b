//! Text normalisation for matching Japanese names and descriptions the way
//! people write them: full- and half-width forms, katakana and hiragana,
//! upper and lower case, spaces, and corporate designators.

/// Half-width katakana and punctuation U+FF61..=U+FF9D, in full width.
const HALF_WIDTH_KANA: &str = "。「」、・ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン";

fn voiced(base: char) -> Option<char> {
    let code = base as u32;
    let next = match code {
        0x30A6 => return Some('ヴ'),                          // ウ
        0x30AB..=0x30C1 => code % 2 == 1,                     // カ..チ
        0x30C4 | 0x30C6 | 0x30C8 => true,                     // ツ テ ト
        0x30CF..=0x30DB => (code - 0x30CF).is_multiple_of(3), // ハ..ホ
        _ => false,
    };
    next.then(|| char::from_u32(code + 1)).flatten()
}

fn semi_voiced(base: char) -> Option<char> {
    let code = base as u32;
    ((0x30CF..=0x30DB).contains(&code) && (code - 0x30CF).is_multiple_of(3))
        .then(|| char::from_u32(code + 2))
        .flatten()
}

/// Folds widths and kana: full-width ASCII to ASCII, half-width katakana
/// (with its separate voicing marks) to full width, katakana to hiragana,
/// enclosed corporate marks (㈱, ㈲, ㍿) to their spelled-out forms, ASCII to
/// lower case. Spacing is kept.
pub fn fold(text: &str) -> String {
    let mut out: Vec<char> = Vec::with_capacity(text.len());
    for c in text.chars() {
        let code = c as u32;
        let c = match code {
            0xFF01..=0xFF5E => char::from_u32(code - 0xFEE0).unwrap_or(c),
            0x3000 => ' ',
            0xFF61..=0xFF9D => HALF_WIDTH_KANA
                .chars()
                .nth((code - 0xFF61) as usize)
                .unwrap_or(c),
            0xFF9E | 0x3099 | 0x309B => {
                if let Some(v) = out.last().copied().and_then(voiced) {
                    out.pop();
                    out.push(v);
                    continue;
                }
                c
            }
            0xFF9F | 0x309A | 0x309C => {
                if let Some(v) = out.last().copied().and_then(semi_voiced) {
                    out.pop();
                    out.push(v);
                    continue;
                }
                c
            }
            0x3231 => {
                out.extend("(株)".chars());
                continue;
            }
            0x3232 => {
                out.extend("(有)".chars());
                continue;
            }
            0x337F => {
                out.extend("株式会社".chars());
                continue;
            }
            _ => c,
        };
        out.push(c);
    }
    out.into_iter()
        .map(|c| match c as u32 {
            // Katakana ァ..ヶ to hiragana ぁ..ゖ (ー and ・ stay).
            0x30A1..=0x30F6 => char::from_u32(c as u32 - 0x60).unwrap_or(c),
            _ => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Corporate designators, folded, removed before names are compared.
const DESIGNATORS: &[&str] = &[
    "株式会社",
    "有限会社",
    "合同会社",
    "合資会社",
    "合名会社",
    "一般社団法人",
    "一般財団法人",
    "かぶしきがいしゃ",
    "かぶしきかいしゃ",
    "ゆうげんがいしゃ",
    "ごうどうがいしゃ",
    "(株)",
    "(有)",
    "(同)",
    "co.,ltd.",
    "co., ltd.",
    "co.,ltd",
    "co. ltd.",
    "corporation",
    "corp.",
    "inc.",
    "ltd.",
    "llc",
    "k.k.",
];

/// A name reduced to what identifies it: folded, without corporate
/// designators, without spaces or punctuation.
pub fn name_key(name: &str) -> String {
    let mut folded = fold(name);
    for designator in DESIGNATORS {
        folded = folded.replace(designator, " ");
    }
    folded.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Whether `text` mentions `keyword`, both folded and without spaces.
pub fn mentions(text: &str, keyword: &str) -> bool {
    let squash = |s: &str| -> String { fold(s).chars().filter(|c| !c.is_whitespace()).collect() };
    let keyword = squash(keyword);
    !keyword.is_empty() && squash(text).contains(&keyword)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_half_width_table_is_complete() {
        assert_eq!(HALF_WIDTH_KANA.chars().count(), 0xFF9D - 0xFF61 + 1);
    }

    #[test]
    fn widths_and_kana_fold_together() {
        assert_eq!(fold("ｶﾌﾞｼｷｶﾞｲｼｬ"), "かぶしきがいしゃ");
        assert_eq!(fold("カブシキガイシャ"), "かぶしきがいしゃ");
        assert_eq!(fold("ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ ﾊﾞ ｳﾞ"), "ぱぴぷぺぽ ば ゔ");
        assert_eq!(fold("ＡＢＣ　Ｘｙｚ１２３"), "abc xyz123");
        assert_eq!(fold("㈱"), "(株)");
    }

    #[test]
    fn names_lose_their_designators() {
        let key = name_key("暴力団フロント商事株式会社");
        assert_eq!(name_key("㈱暴力団フロント商事"), key);
        assert_eq!(name_key("（株）暴力団フロント商事"), key);
        assert_eq!(name_key("暴力団 ﾌﾛﾝﾄ 商事 ｶﾌﾞｼｷｶﾞｲｼｬ"), key);
        assert_eq!(name_key("ＡＣＭＥ Co., Ltd."), name_key("acme"));
        assert_ne!(name_key("まっとう商事"), key);
    }

    #[test]
    fn mentions_ignore_width_and_spacing() {
        assert!(mentions("ゲーム内 ＲＭＴ 代行", "rmt"));
        assert!(mentions("ﾚﾝﾀﾙ携帯 月額", "レンタル携帯"));
        assert!(!mentions("書籍", "rmt"));
        assert!(!mentions("anything", ""));
    }
}
