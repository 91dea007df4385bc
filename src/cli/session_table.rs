//! `authql user sessions`: open sessions as aligned columns a person can
//! read at a terminal, one session a line under a header.

use std::fmt::Write as _;

use chrono::NaiveDateTime;

use crate::store::sessions::SessionView;

const HEADERS: [&str; 5] = ["ID", "DEVICE", "ADDRESS", "LAST ACTIVE", "EXPIRES"];
/// Longest device name shown (`Session.deviceName`, the client's label or
/// a name read from its User-Agent); longer ones end in an ellipsis.
const DEVICE_WIDTH: usize = 40;

/// The table, or a line saying there is nothing to list.
pub(super) fn render(sessions: &[SessionView]) -> String {
    if sessions.is_empty() {
        return "no open sessions\n".to_owned();
    }
    let rows: Vec<[String; 5]> = sessions
        .iter()
        .map(|session| {
            [
                session.id.clone(),
                shown(Some(&session.device_name), DEVICE_WIDTH),
                shown(session.ip_address.as_deref(), 45),
                time(session.last_active_at),
                time(session.expires_at),
            ]
        })
        .collect();
    let mut widths = HEADERS.map(|header| header.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    write_line(&mut out, &HEADERS.map(str::to_owned), &widths);
    for row in &rows {
        write_line(&mut out, row, &widths);
    }
    out
}

fn write_line(out: &mut String, cells: &[String; 5], widths: &[usize; 5]) {
    let mut line = String::new();
    for (cell, width) in cells.iter().zip(widths) {
        let _ = write!(line, "{cell:<width$}  ");
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

/// A cell for an optional value: "-" when there is none, control characters
/// replaced (a device label is the client's text), cut to `max` characters.
fn shown(value: Option<&str>, max: usize) -> String {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return "-".to_owned();
    };
    let clean: String = value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.chars().count() <= max {
        return clean;
    }
    let mut cut: String = clean.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

fn time(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_and_hostile_labels_stay_on_one_line() {
        assert_eq!(shown(None, 10), "-");
        assert_eq!(shown(Some("a\nb"), 10), "a b");
        assert_eq!(shown(Some(&"x".repeat(50)), 10).chars().count(), 10);
    }
}
