package io.lmaas.worker.chat;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python's string methods that chat templates call ({@code content.startswith('<tool_response>')},
 * {@code content.split('</think>')[-1].lstrip('\n')}, ...), for Jinjava, whose strings are Java strings. Resolves only
 * method calls on strings by these names; everything else falls through to Jinjava's own resolvers.
 */
final class PythonStrings extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] types, Object[] params) {
        if (!(base instanceof String s) || method == null) {
            return null;
        }
        Object[] p = params == null ? new Object[0] : params;
        Object result = switch (method.toString()) {
            case "startswith" -> p.length == 1 ? s.startsWith(str(p[0])) : null;
            case "endswith" -> p.length == 1 ? s.endsWith(str(p[0])) : null;
            case "strip" -> p.length == 0 ? s.strip() : stripChars(stripChars(s, str(p[0]), true, false), str(p[0]), false, true);
            case "lstrip" -> p.length == 0 ? s.stripLeading() : stripChars(s, str(p[0]), true, false);
            case "rstrip" -> p.length == 0 ? s.stripTrailing() : stripChars(s, str(p[0]), false, true);
            case "split" -> split(s, p);
            case "upper" -> s.toUpperCase(java.util.Locale.ROOT);
            case "lower" -> s.toLowerCase(java.util.Locale.ROOT);
            case "replace" -> p.length == 2 ? s.replace(str(p[0]), str(p[1])) : null;
            case "title" -> title(s);
            default -> null;
        };
        if (result != null) {
            context.setPropertyResolved(true);
        }
        return result;
    }

    private static String str(Object o) {
        return o == null ? "" : o.toString();
    }

    private static String stripChars(String s, String chars, boolean left, boolean right) {
        int from = 0;
        int to = s.length();
        while (left && from < to && chars.indexOf(s.charAt(from)) >= 0) {
            from++;
        }
        while (right && to > from && chars.indexOf(s.charAt(to - 1)) >= 0) {
            to--;
        }
        return s.substring(from, to);
    }

    private static List<String> split(String s, Object[] p) {
        List<String> out = new ArrayList<>();
        if (p.length == 0 || p[0] == null) {
            for (String part : s.strip().split("\\s+")) {
                if (!part.isEmpty()) {
                    out.add(part);
                }
            }
            return out;
        }
        String sep = str(p[0]);
        if (sep.isEmpty()) {
            return null;
        }
        int at = 0;
        for (int i; (i = s.indexOf(sep, at)) >= 0; at = i + sep.length()) {
            out.add(s.substring(at, i));
        }
        out.add(s.substring(at));
        return out;
    }

    private static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean start = true;
        for (char c : s.toCharArray()) {
            sb.append(start ? Character.toUpperCase(c) : Character.toLowerCase(c));
            start = !Character.isLetter(c);
        }
        return sb.toString();
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
    }
}
