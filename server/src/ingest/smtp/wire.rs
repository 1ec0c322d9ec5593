//! Reading the client's side of the conversation with bounds: command lines up to a limit, and
//! DATA dot-unstuffed, within the message limit and the receivers' shared memory.

use portcullis_service::Reservation;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

pub(super) enum Line {
    Text(String),
    TooLong,
}

/// One CRLF- (or LF-) terminated line without its ending; `None` at end of stream. A line over
/// `max` bytes is consumed to its end and reported as too long.
pub(super) async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R, max: usize) -> std::io::Result<Option<Line>> {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let buf = reader.fill_buf().await?;
        if buf.is_empty() {
            return Ok(None);
        }
        let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..=i], true),
            None => (buf, false),
        };
        let used = chunk.len();
        if !too_long {
            line.extend_from_slice(chunk);
            too_long = line.len() > max + 2;
        }
        reader.consume(used);
        if done {
            break;
        }
    }
    if too_long {
        return Ok(Some(Line::TooLong));
    }
    while matches!(line.last(), Some(b'\n' | b'\r')) {
        line.pop();
    }
    Ok(Some(Line::Text(String::from_utf8_lossy(&line).into_owned())))
}

/// What DATA brought.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Data {
    Message(Vec<u8>),
    /// Larger than the limit.
    TooLarge,
    /// The receivers together hold all the memory they may (see `IntakeMemory`).
    NoRoom,
}

/// The message up to `<CRLF>.<CRLF>`, dot-unstuffed, with CRLF line ends. A message over `max`,
/// or one that no longer fits in `room`, is still read to its end (so the session can go on)
/// but not kept. Memory stays within `max` plus one line of at most `max` bytes, however the
/// client splits its lines: a line is read chunk by chunk from the buffer, and what is past the
/// limit is not kept. All of it is charged to `room` as it grows.
pub(super) async fn read_data<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    max: usize,
    room: &mut Reservation,
) -> std::io::Result<Data> {
    let mut message = Vec::new();
    let mut refused = None;
    let mut line = Vec::new();
    loop {
        line.clear();
        // One line, keeping at most `max + 3` bytes of it: enough to tell "." from a longer line
        // and to know a line alone is over the limit.
        let mut line_len = 0usize;
        loop {
            let buf = reader.fill_buf().await?;
            if buf.is_empty() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "connection closed during DATA",
                ));
            }
            let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (&buf[..=i], true),
                None => (buf, false),
            };
            let keep = chunk.len().min((max + 3).saturating_sub(line.len()));
            line.extend_from_slice(&chunk[..keep]);
            line_len += chunk.len();
            let used = chunk.len();
            reader.consume(used);
            if refused.is_none() && !room.resize(message.capacity() + line.capacity()) {
                refused = Some(Data::NoRoom);
            }
            if refused.is_some() {
                // Nothing is kept now: only the end of the line matters (is it the terminator?).
                message = Vec::new();
                if line.len() > 3 {
                    line = Vec::new();
                    line_len = 4;
                }
                room.resize(0);
            }
            if done {
                break;
            }
        }
        let content = line.strip_suffix(b"\n").unwrap_or(&line);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        if content == b"." && line_len <= 3 {
            break;
        }
        if refused.is_some() {
            continue;
        }
        if line_len > max + 2 {
            refused = Some(Data::TooLarge);
            message = Vec::new();
            room.resize(0);
            continue;
        }
        let content = content.strip_prefix(b".").unwrap_or(content);
        message.extend_from_slice(content);
        message.extend_from_slice(b"\r\n");
        if message.len() > max {
            refused = Some(Data::TooLarge);
        } else if !room.resize(message.capacity() + line.capacity()) {
            refused = Some(Data::NoRoom);
        }
        if refused.is_some() {
            message = Vec::new();
            room.resize(0);
        }
    }
    Ok(refused.unwrap_or(Data::Message(message)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use portcullis_service::IntakeMemory;

    #[tokio::test]
    async fn data_is_unstuffed_and_bounded() {
        let mut input: &[u8] = b"Subject: x\r\n..leading dot\r\nbody\n.\r\nNEXT\r\n";
        let memory = IntakeMemory::new(1 << 20);
        let mut room = memory.reserve(0).unwrap();
        let message = read_data(&mut input, 1000, &mut room).await.unwrap();
        assert_eq!(
            message,
            Data::Message(b"Subject: x\r\n.leading dot\r\nbody\r\n".to_vec())
        );
        assert_eq!(input, b"NEXT\r\n");
        let mut input: &[u8] = b"0123456789\r\n0123456789\r\n.\r\nNEXT\r\n";
        assert_eq!(read_data(&mut input, 15, &mut room).await.unwrap(), Data::TooLarge);
        assert_eq!(input, b"NEXT\r\n");
    }

    /// A client streaming bytes without a newline: the reader keeps at most the limit of them,
    /// however many arrive (256 MiB here), and the message is refused as too large at the
    /// terminator.
    #[tokio::test]
    async fn a_line_without_end_is_not_kept_past_the_limit() {
        struct Endless {
            left: usize,
        }
        impl tokio::io::AsyncRead for Endless {
            fn poll_read(
                mut self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                const XS: [u8; 8192] = [b'x'; 8192];
                if self.left == 0 {
                    buf.put_slice(b"\r\n.\r\n");
                    self.left = usize::MAX;
                } else if self.left != usize::MAX {
                    let n = buf.remaining().min(self.left).min(XS.len());
                    buf.put_slice(&XS[..n]);
                    self.left -= n;
                }
                std::task::Poll::Ready(Ok(()))
            }
        }
        // The buffers kept are charged to the reservation after every chunk, so a budget of
        // 4 KiB (a few times the limit) would refuse the message as "no room" had more been
        // kept at any moment of the 256 MiB. (Measured this way, not by the process's peak
        // memory, which tests running alongside move too.)
        let memory = IntakeMemory::new(4096);
        let mut room = memory.reserve(0).unwrap();
        let mut reader = tokio::io::BufReader::new(Endless { left: 256 << 20 });
        assert_eq!(read_data(&mut reader, 1024, &mut room).await.unwrap(), Data::TooLarge);
        // A line of exactly the limit is kept; "." alone ends the message, "..x" is unstuffed.
        let mut input: &[u8] = b"..x\r\n.\r\n";
        assert_eq!(
            read_data(&mut input, 1024, &mut room).await.unwrap(),
            Data::Message(b".x\r\n".to_vec())
        );
    }

    /// Past the shared pool the message is read to its end but not kept, the hold is given back,
    /// and the next message on the same session fits again.
    #[tokio::test]
    async fn a_message_past_the_shared_pool_is_refused_for_now() {
        let memory = IntakeMemory::new(64 * 1024);
        let other = memory.reserve(32 * 1024).unwrap();
        let mut room = memory.reserve(0).unwrap();
        let big = format!("{}\r\n.\r\nNEXT\r\n", "y\r\n".repeat(20_000));
        let mut input = big.as_bytes();
        assert_eq!(read_data(&mut input, 1 << 20, &mut room).await.unwrap(), Data::NoRoom);
        assert_eq!(input, b"NEXT\r\n");
        assert_eq!(room.bytes(), 0, "the hold is given back");
        drop(other);
        let mut input: &[u8] = b"small\r\n.\r\n";
        assert_eq!(
            read_data(&mut input, 1 << 20, &mut room).await.unwrap(),
            Data::Message(b"small\r\n".to_vec())
        );
        assert!(
            room.bytes() > 0 && memory.available() < 64 * 1024,
            "a kept message is charged"
        );
    }

    #[tokio::test]
    async fn long_lines_are_consumed_and_flagged() {
        let long = format!("{}\r\nNOOP\r\n", "A".repeat(5000));
        let mut input = long.as_bytes();
        assert!(matches!(read_line(&mut input, 100).await.unwrap(), Some(Line::TooLong)));
        assert!(matches!(read_line(&mut input, 100).await.unwrap(), Some(Line::Text(t)) if t == "NOOP"));
        assert!(read_line(&mut input, 100).await.unwrap().is_none());
    }
}
