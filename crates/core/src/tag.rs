//! The tag grammars tagman enforces: release tags (`stx.4.0-v2.2`) and timestamped build tags.
//!
//! A release tag is `stx.<MAJOR>.<MINOR>-v<dotted version>`, then optionally `-<N>` (a commit
//! count or build revision) and/or `-g<7..40 hex>` (`git describe`), then optionally
//! `-<codename>`. A build tag is anything ending in `-YYYYMMDDTHHMMSSZ.N` with a real date and time.

use crate::reference::is_valid_tag;

/// A release tag taken apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseTag<'a> {
    /// The `X.Y` after `stx.`.
    pub release: &'a str,
    /// The dotted version after `-v`.
    pub version: &'a str,
    /// A commit count or build revision.
    pub count: Option<&'a str>,
    /// The `g…` abbreviated commit of `git describe`, without the `g`.
    pub commit: Option<&'a str>,
    /// The OS codename suffix.
    pub codename: Option<&'a str>,
}

/// Why a tag is not a release tag. Offsets are byte offsets into the tag.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TagProblem {
    /// Outside the OCI tag grammar (characters or length).
    NotOci {
        /// Byte offset of the first offending character (0 for the length).
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// A floating tag such as `latest`.
    Floating,
    /// Upper-case letters.
    UpperCase {
        /// Byte offset of the first one.
        offset: usize,
    },
    /// Does not start with `stx.`.
    NoStxPrefix,
    /// The release is not `MAJOR.MINOR`.
    BadRelease {
        /// Byte offset just after `stx.`.
        offset: usize,
    },
    /// The separator after the release is not `-v`; carries the corrected tag when one is obvious.
    BadSeparator {
        /// Byte offset of the separator.
        offset: usize,
        /// The tag with the separator repaired, if the rest then parses.
        suggestion: Option<String>,
    },
    /// The version after `-v` is not dotted numbers.
    BadVersion {
        /// Byte offset of the version.
        offset: usize,
    },
    /// A suffix part that is none of `-N`, `-g<hex>`, `-<codename>` in that order.
    BadSuffix {
        /// Byte offset of the part (after its `-`).
        offset: usize,
        /// The part.
        part: String,
    },
}

/// Takes a release tag apart, with `codenames` as the allowed OS codename suffixes.
pub fn parse_release_tag<'a>(
    tag: &'a str,
    codenames: &[String],
) -> Result<ReleaseTag<'a>, TagProblem> {
    check_oci(tag)?;
    if is_floating(tag) {
        return Err(TagProblem::Floating);
    }
    if let Some(offset) = tag.find(|c: char| c.is_ascii_uppercase()) {
        return Err(TagProblem::UpperCase { offset });
    }
    let (release, release_end) = release_of(tag)?;
    let rest = tag.get(release_end..).unwrap_or("");
    let Some(version_and_suffix) = rest.strip_prefix("-v") else {
        return Err(TagProblem::BadSeparator {
            offset: release_end,
            suggestion: repaired_separator(tag, release_end, codenames),
        });
    };
    let version_start = release_end + 2;
    let version_len = dotted_len(version_and_suffix);
    if version_len == 0 {
        return Err(TagProblem::BadVersion {
            offset: version_start,
        });
    }
    let (version, suffix) = version_and_suffix.split_at(version_len);
    let mut parsed = ReleaseTag {
        release,
        version,
        count: None,
        commit: None,
        codename: None,
    };
    if suffix.is_empty() {
        return Ok(parsed);
    }
    let Some(suffix) = suffix.strip_prefix('-') else {
        return Err(TagProblem::BadVersion {
            offset: version_start,
        });
    };
    parse_suffix(&mut parsed, suffix, version_start + version_len, codenames)?;
    Ok(parsed)
}

/// The OCI tag grammar: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
fn check_oci(tag: &str) -> Result<(), TagProblem> {
    if tag.len() > 128 {
        return Err(TagProblem::NotOci {
            offset: 0,
            reason: format!("it is {} characters long; tags have at most 128", tag.len()),
        });
    }
    if is_valid_tag(tag) {
        return Ok(());
    }
    let bad = tag.char_indices().find(|(i, c)| {
        !(c.is_ascii_alphanumeric() || *c == '_' || (*i > 0 && matches!(c, '.' | '-')))
    });
    let reason = match bad {
        None if tag.is_empty() => "it is empty".to_owned(),
        Some((_, c)) => format!(
            "`{}` may not appear there; tags are [A-Za-z0-9_][A-Za-z0-9._-]{{0,127}}",
            c.escape_debug()
        ),
        None => "tags are [A-Za-z0-9_][A-Za-z0-9._-]{0,127}".to_owned(),
    };
    Err(TagProblem::NotOci {
        offset: bad.map_or(0, |(i, _)| i),
        reason,
    })
}

/// `MAJOR.MINOR` after `stx.`, and the offset just past it.
fn release_of(tag: &str) -> Result<(&str, usize), TagProblem> {
    let Some(after_prefix) = tag.strip_prefix("stx.") else {
        return Err(TagProblem::NoStxPrefix);
    };
    let major_len = digits(after_prefix);
    let minor_start = major_len + 1;
    let minor_len = after_prefix
        .get(minor_start..)
        .filter(|_| major_len > 0 && after_prefix.as_bytes().get(major_len) == Some(&b'.'))
        .map_or(0, digits);
    if minor_len == 0 {
        return Err(TagProblem::BadRelease { offset: 4 });
    }
    let release_end = 4 + minor_start + minor_len;
    let release = tag
        .get(4..release_end)
        .ok_or(TagProblem::BadRelease { offset: 4 })?;
    Ok((release, release_end))
}

/// The intended tag for the common slips after the release (`.v1.0`, `-1.0`, `v1.0`, `_v1.0`),
/// when repairing the separator gives a valid tag.
fn repaired_separator(tag: &str, release_end: usize, codenames: &[String]) -> Option<String> {
    let (head, rest) = (tag.get(..release_end)?, tag.get(release_end..)?);
    [".v", "_v", "v", "-"]
        .iter()
        .find_map(|sep| rest.strip_prefix(sep))
        .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        .map(|r| format!("{head}-v{r}"))
        .filter(|candidate| parse_release_tag(candidate, codenames).is_ok())
}

/// The `-<N>`, `-g<hash>` and `-<codename>` parts after the version, in that order, each at
/// most once; `offset` is where the suffix's leading `-` stands.
fn parse_suffix<'a>(
    parsed: &mut ReleaseTag<'a>,
    suffix: &'a str,
    mut offset: usize,
    codenames: &[String],
) -> Result<(), TagProblem> {
    let mut stage = 0;
    for part in suffix.split('-') {
        offset += 1;
        if stage < 1 && !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
            parsed.count = Some(part);
            stage = 1;
        } else if stage < 2 && is_describe_hash(part) {
            parsed.commit = part.get(1..);
            stage = 2;
        } else if stage < 3 && codenames.iter().any(|c| c == part) {
            parsed.codename = Some(part);
            stage = 3;
        } else {
            return Err(TagProblem::BadSuffix {
                offset,
                part: part.to_owned(),
            });
        }
        offset += part.len();
    }
    Ok(())
}

/// `latest`, or anything ending in `-latest`: tags that move with every build.
pub fn is_floating(tag: &str) -> bool {
    let lower = tag.to_ascii_lowercase();
    lower == "latest" || lower.ends_with("-latest") || lower.ends_with(".latest")
}

fn is_describe_hash(part: &str) -> bool {
    part.strip_prefix('g').is_some_and(|hex| {
        (7..=40).contains(&hex.len()) && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

fn digits(s: &str) -> usize {
    s.bytes().take_while(u8::is_ascii_digit).count()
}

/// Length of a leading `N(.N)*`.
fn dotted_len(s: &str) -> usize {
    let mut len = digits(s);
    if len == 0 {
        return 0;
    }
    while s.as_bytes().get(len) == Some(&b'.') {
        let more = s.get(len + 1..).map_or(0, digits);
        if more == 0 {
            break;
        }
        len += 1 + more;
    }
    len
}

/// A build tag's timestamp (UTC), taken apart and checked to be a real date and time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct BuildTimestamp {
    /// Seconds since the Unix epoch.
    pub unix: i64,
    /// Byte offset of the timestamp inside the tag.
    pub offset: usize,
}

/// Why a tag is not a timestamped build tag.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildTagProblem {
    /// A floating tag such as `master-centos-stable-latest`.
    Floating,
    /// No `-YYYYMMDDTHHMMSSZ.N` at the end.
    NoTimestamp,
    /// The timestamp is shaped right but names no real instant.
    BadDate {
        /// Byte offset of the timestamp.
        offset: usize,
        /// What is out of range.
        reason: String,
    },
}

/// Finds and checks the `-YYYYMMDDTHHMMSSZ.N` ending of a build tag.
pub fn parse_build_tag(tag: &str) -> Result<BuildTimestamp, BuildTagProblem> {
    if is_floating(tag) {
        return Err(BuildTagProblem::Floating);
    }
    let (head, seq) = tag.rsplit_once('.').ok_or(BuildTagProblem::NoTimestamp)?;
    if seq.is_empty() || !seq.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BuildTagProblem::NoTimestamp);
    }
    let stamp_start = head
        .len()
        .checked_sub(16)
        .ok_or(BuildTagProblem::NoTimestamp)?;
    let stamp = head
        .get(stamp_start..)
        .ok_or(BuildTagProblem::NoTimestamp)?;
    let b = stamp.as_bytes();
    let shaped = b.len() == 16
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'T'
        && b[9..15].iter().all(u8::is_ascii_digit)
        && b[15] == b'Z';
    let preceded = stamp_start > 0 && head.as_bytes().get(stamp_start - 1) == Some(&b'-');
    if !shaped || !preceded {
        return Err(BuildTagProblem::NoTimestamp);
    }
    let num = |r: std::ops::Range<usize>| stamp[r].parse::<i64>().unwrap_or(-1);
    let (year, month, day) = (num(0..4), num(4..6), num(6..8));
    let (hour, minute, second) = (num(9..11), num(11..13), num(13..15));
    let bad = |reason: String| BuildTagProblem::BadDate {
        offset: stamp_start,
        reason,
    };
    if !(1..=12).contains(&month) {
        return Err(bad(format!("month {month:02} does not exist")));
    }
    let Some(date) = calendar_date(year, month, day) else {
        return Err(bad(format!("{year:04}-{month:02} has no day {day:02}")));
    };
    if hour > 23 || minute > 59 || second > 59 {
        return Err(bad(format!(
            "{hour:02}:{minute:02}:{second:02} is not a time of day"
        )));
    }
    Ok(BuildTimestamp {
        unix: midnight(date) + hour * 3_600 + minute * 60 + second,
        offset: stamp_start,
    })
}

/// Seconds since the Unix epoch at the start of `date` (UTC).
fn midnight(date: chrono::NaiveDate) -> i64 {
    date.and_time(chrono::NaiveTime::MIN).and_utc().timestamp()
}

/// The proleptic Gregorian date, if it exists (`2023-02-29` does not).
fn calendar_date(year: i64, month: i64, day: i64) -> Option<chrono::NaiveDate> {
    let year = i32::try_from(year).ok()?;
    let month = u32::try_from(month).ok()?;
    let day = u32::try_from(day).ok()?;
    chrono::NaiveDate::from_ymd_opt(year, month, day)
}

/// Seconds since 1970-01-01T00:00:00Z of a UTC date and time of day; `None` when the date does
/// not exist.
pub fn unix_time(year: i64, month: i64, day: i64, seconds_of_day: i64) -> Option<i64> {
    Some(midnight(calendar_date(year, month, day)?) + seconds_of_day)
}

/// `YYYY-MM-DD` of a Unix time (UTC); `????-??-??` past chrono's range (±262,000 years).
pub fn iso_date(unix_seconds: i64) -> String {
    formatted(unix_seconds, "%Y-%m-%d", "????-??-??")
}

/// `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339, UTC) of a Unix time; question marks past chrono's range.
pub fn utc_time(unix_seconds: i64) -> String {
    formatted(unix_seconds, "%Y-%m-%dT%H:%M:%SZ", "????-??-??T??:??:??Z")
}

fn formatted(unix_seconds: i64, format: &str, out_of_range: &str) -> String {
    match chrono::DateTime::from_timestamp(unix_seconds, 0) {
        Some(time) => time.format(format).to_string(),
        None => out_of_range.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_dates_and_unix_times() {
        assert_eq!(unix_time(1970, 1, 1, 0), Some(0));
        assert_eq!(unix_time(1969, 12, 31, 0), Some(-86_400));
        assert_eq!(unix_time(2026, 6, 1, 0), Some(1_780_272_000));
        assert_eq!(unix_time(2000, 2, 29, 1), Some(951_782_401), "a leap day");
        assert_eq!(unix_time(1900, 2, 29, 0), None, "1900 is no leap year");
        assert_eq!(unix_time(2023, 13, 1, 0), None);
        assert_eq!(iso_date(1_780_272_000), "2026-06-01");
        assert_eq!(iso_date(-1), "1969-12-31");
        assert_eq!(iso_date(i64::MAX), "????-??-??");
        let stamp = parse_build_tag("master-debian-stable-20000229T235959Z.0").unwrap();
        assert_eq!(stamp.unix, 951_868_799);
    }

    fn codenames() -> Vec<String> {
        ["bullseye", "bookworm", "trixie", "forky"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn real_release_tags_parse() {
        let ok = [
            ("stx.4.0-v2.2", "4.0", "2.2", None, None, None),
            (
                "stx.4.0-v0.11.0-103-g4f28657",
                "4.0",
                "0.11.0",
                Some("103"),
                Some("4f28657"),
                None,
            ),
            (
                "stx.13.0-v1.8.2-2-trixie",
                "13.0",
                "1.8.2",
                Some("2"),
                None,
                Some("trixie"),
            ),
            (
                "stx.12.0-v2.3.0-g732308d",
                "12.0",
                "2.3.0",
                None,
                Some("732308d"),
                None,
            ),
            (
                "stx.4.0-v3.2-16-g4e0302ae",
                "4.0",
                "3.2",
                Some("16"),
                Some("4e0302ae"),
                None,
            ),
            (
                "stx.10.0-v18.2.2-0",
                "10.0",
                "18.2.2",
                Some("0"),
                None,
                None,
            ),
            ("stx.9.0-v22.07", "9.0", "22.07", None, None, None),
        ];
        for (tag, release, version, count, commit, codename) in ok {
            let parsed =
                parse_release_tag(tag, &codenames()).unwrap_or_else(|e| panic!("{tag}: {e:?}"));
            assert_eq!(
                (
                    parsed.release,
                    parsed.version,
                    parsed.count,
                    parsed.commit,
                    parsed.codename
                ),
                (release, version, count, commit, codename),
                "{tag}"
            );
        }
    }

    #[test]
    fn bad_release_tags_are_caught() {
        let c = codenames();
        assert_eq!(
            parse_release_tag("stx.8.0.v1.0.5", &c),
            Err(TagProblem::BadSeparator {
                offset: 7,
                suggestion: Some("stx.8.0-v1.0.5".into())
            })
        );
        assert_eq!(
            parse_release_tag("stx.4.0-2.2", &c),
            Err(TagProblem::BadSeparator {
                offset: 7,
                suggestion: Some("stx.4.0-v2.2".into())
            })
        );
        assert_eq!(
            parse_release_tag("stx.4-v1.0", &c),
            Err(TagProblem::BadRelease { offset: 4 })
        );
        assert_eq!(
            parse_release_tag("STX.4.0-v1.0", &c),
            Err(TagProblem::UpperCase { offset: 0 })
        );
        assert_eq!(parse_release_tag("latest", &c), Err(TagProblem::Floating));
        assert_eq!(
            parse_release_tag("stx.4.0-latest", &c),
            Err(TagProblem::Floating)
        );
        assert!(matches!(
            parse_release_tag("stx.4.0-v1+2", &c),
            Err(TagProblem::NotOci { offset: 10, .. })
        ));
        assert!(matches!(
            parse_release_tag(&format!("stx.4.0-v{}", "1".repeat(130)), &c),
            Err(TagProblem::NotOci { .. })
        ));
        assert_eq!(parse_release_tag("v1.0", &c), Err(TagProblem::NoStxPrefix));
        assert_eq!(
            parse_release_tag("stx.4.0-v", &c),
            Err(TagProblem::BadVersion { offset: 9 })
        );
        assert_eq!(
            parse_release_tag("stx.4.0-v1.0-jammy", &c),
            Err(TagProblem::BadSuffix {
                offset: 13,
                part: "jammy".into()
            })
        );
        assert_eq!(
            parse_release_tag("stx.4.0-v1.0-trixie-2", &c),
            Err(TagProblem::BadSuffix {
                offset: 20,
                part: "2".into()
            })
        );
        assert!(matches!(
            parse_release_tag("stx.4.0-v1.0-g123", &c),
            Err(TagProblem::BadSuffix { .. })
        ));
    }

    #[test]
    fn build_tags() {
        let t = parse_build_tag("master-centos-stable-20191203T153530Z.0").unwrap();
        assert_eq!(t.unix, 1_575_387_330);
        assert_eq!(t.offset, 21);
        assert!(parse_build_tag("master-debian-trixie-amd64-stable-20260712T220100Z.0").is_ok());
        assert!(parse_build_tag("x-20240229T000000Z.12").is_ok());
        assert_eq!(
            parse_build_tag("master-centos-stable-latest"),
            Err(BuildTagProblem::Floating)
        );
        assert_eq!(
            parse_build_tag("stx.4.0-v2.2"),
            Err(BuildTagProblem::NoTimestamp)
        );
        assert_eq!(
            parse_build_tag("20191203T153530Z.0"),
            Err(BuildTagProblem::NoTimestamp)
        );
        assert!(matches!(
            parse_build_tag("x-20230229T000000Z.0"),
            Err(BuildTagProblem::BadDate { .. })
        ));
        assert!(matches!(
            parse_build_tag("x-20231301T000000Z.0"),
            Err(BuildTagProblem::BadDate { .. })
        ));
        assert!(matches!(
            parse_build_tag("x-20231201T246000Z.0"),
            Err(BuildTagProblem::BadDate { .. })
        ));
    }
}
