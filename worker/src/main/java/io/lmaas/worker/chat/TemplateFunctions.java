package io.lmaas.worker.chat;

import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.Locale;

/** The functions Hugging Face adds to a chat template's environment: {@code raise_exception} and {@code strftime_now}. */
public final class TemplateFunctions {
    private TemplateFunctions() {
    }

    /** What a template raises: the message is the template's own (for example "Conversation roles must alternate"). */
    public static final class TemplateRaised extends RuntimeException {
        public TemplateRaised(String message) {
            super(message);
        }
    }

    public static String raiseException(String message) {
        throw new TemplateRaised(message);
    }

    /** The current local time in Python's strftime format (the common directives). */
    public static String strftimeNow(String format) {
        return strftime(ZonedDateTime.now(), format);
    }

    static String strftime(ZonedDateTime t, String format) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                sb.append(c);
                continue;
            }
            char d = format.charAt(++i);
            switch (d) {
                case 'Y' -> sb.append(t.getYear());
                case 'y' -> sb.append(String.format(Locale.ROOT, "%02d", t.getYear() % 100));
                case 'm' -> sb.append(String.format(Locale.ROOT, "%02d", t.getMonthValue()));
                case 'd' -> sb.append(String.format(Locale.ROOT, "%02d", t.getDayOfMonth()));
                case 'e' -> sb.append(String.format(Locale.ROOT, "%2d", t.getDayOfMonth()));
                case 'B' -> sb.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'b' -> sb.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'A' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'a' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'H' -> sb.append(String.format(Locale.ROOT, "%02d", t.getHour()));
                case 'I' -> sb.append(String.format(Locale.ROOT, "%02d", (t.getHour() + 11) % 12 + 1));
                case 'M' -> sb.append(String.format(Locale.ROOT, "%02d", t.getMinute()));
                case 'S' -> sb.append(String.format(Locale.ROOT, "%02d", t.getSecond()));
                case 'p' -> sb.append(t.getHour() < 12 ? "AM" : "PM");
                case 'j' -> sb.append(String.format(Locale.ROOT, "%03d", t.getDayOfYear()));
                case '%' -> sb.append('%');
                default -> sb.append('%').append(d);
            }
        }
        return sb.toString();
    }
}
